/*
 * evaluate.c - the smallest use of relufast.h: build a network from arrays and evaluate it on a batch.
 *
 *   f(x) = 2 relu(x0 + 0.5) - relu(x1 - 1) + 0.25 + 0.5 x2,   x in R^3
 *
 * Exits 0 when the library agrees with the formula (float64 and float32), 1 otherwise.
 */
#include <math.h>
#include <stdio.h>

#include "relufast.h"

static double relu(double t) { return t > 0 ? t : 0; }

int main(void) {
    const double a[2] = { 2.0, -1.0 };
    const double w[2 * 3] = { 1, 0, 0,    /* w_0 */
                              0, 1, 0 };  /* w_1 */
    const double b[2] = { 0.5, -1.0 };
    const double c[3] = { 0, 0, 0.5 };
    relufast_network *net = NULL;
    if (relufast_network_create(3, 2, a, w, b, 0.25, c, &net) != RELUFAST_OK) {
        fprintf(stderr, "relufast_network_create: %s\n", relufast_last_error());
        return 1;
    }

    const double x[4 * 3] = { 0, 0, 0,   1, 2, 3,   -1, 5, -2,   0.3, -0.7, 1.1 };
    double y[4];
    float xf[4 * 3], yf[4];
    for (int i = 0; i < 12; i++) xf[i] = (float)x[i];
    if (relufast_network_evaluate_f64(net, x, 4, y) != RELUFAST_OK ||
        relufast_network_evaluate_f32(net, xf, 4, yf) != RELUFAST_OK) {
        fprintf(stderr, "evaluate: %s\n", relufast_last_error());
        return 1;
    }
    int failures = 0;
    for (int j = 0; j < 4; j++) {
        const double *xj = x + 3 * j;
        double expected = 2 * relu(xj[0] + 0.5) - relu(xj[1] - 1) + 0.25 + 0.5 * xj[2];
        printf("f(%5.2f, %5.2f, %5.2f) = %8.4f (float %8.4f, expected %8.4f)\n", xj[0], xj[1], xj[2], y[j], yf[j], expected);
        if (fabs(y[j] - expected) > 1e-12 || fabs(yf[j] - expected) > 1e-5) failures++;
    }
    relufast_network_destroy(net);
    printf(failures ? "FAILED\n" : "OK\n");
    return failures ? 1 : 0;
}
