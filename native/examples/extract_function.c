/*
 * extract_function.c - extracts a network that is a plain C function, through relufast_learner_use_oracle.
 *
 *   extract_function [--dim D] [--hidden M] [--queries N] [--max-error E]
 *
 * The black box is host code the library cannot see: f(x) = sum_i a_i relu(<w_i, x> + b_i) + c0 + <c, x> with
 * parameters drawn by the host's own generator. The library draws the Gaussian queries, calls the host's function on
 * blocks of them (from several threads: the function is thread-safe), learns, and the host compares the extracted
 * parameters with its own (relufast_network_compare) and reports the number of queries. Then the error paths: a
 * failing oracle gives RELUFAST_ERROR_CALLBACK, a progress callback that returns nonzero gives RELUFAST_ERROR_CANCELLED,
 * and a version-1 sized relufast_result_info still works.
 * Exits 1 if a parameter error exceeds --max-error (default 1e-4) or a check fails, 2 on an API error.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relufast.h"

#define CHECK(call)                                                                                   \
    do {                                                                                              \
        relufast_status status_ = (call);                                                             \
        if (status_ != RELUFAST_OK) {                                                                 \
            fprintf(stderr, "%s failed: %s: %s\n", #call, relufast_status_name(status_), relufast_last_error()); \
            exit(2);                                                                                  \
        }                                                                                             \
    } while (0)

static int failures = 0;

static void expect(int condition, const char *what) {
    printf("%s: %s\n", condition ? "ok" : "FAILED", what);
    if (!condition) failures++;
}

/* ---- the host's secret function ---- */

typedef struct box { int d, m; double *a, *w, *b, c0, *c; } box;

static uint64_t next_u64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *state, double lo, double hi) {
    return lo + (hi - lo) * ((next_u64(state) >> 11) * (1.0 / 9007199254740992.0));
}

static int32_t query(const double *x, int64_t count, double *y, void *user_data) {
    const box *f = (const box *)user_data;
    for (int64_t j = 0; j < count; j++) {
        const double *xj = x + j * f->d;
        double v = f->c0;
        for (int k = 0; k < f->d; k++) v += f->c[k] * xj[k];
        for (int i = 0; i < f->m; i++) {
            double z = f->b[i];
            for (int k = 0; k < f->d; k++) z += f->w[i * f->d + k] * xj[k];
            if (z > 0) v += f->a[i] * z;
        }
        y[j] = v;
    }
    return 0;
}

static int32_t failing_query(const double *x, int64_t count, double *y, void *user_data) {
    (void)x; (void)count; (void)y; (void)user_data;
    return 42;
}

static int32_t stop_at_pass_two(int32_t stage, double fraction, const char *message, void *user_data) {
    (void)fraction; (void)message;
    int *calls = (int *)user_data;
    ++*calls;
    return stage >= 2; /* go on through the pilot and pass 1, then ask to stop */
}

int main(int argc, char **argv) {
    int d = 10, m = 5;
    int64_t queries = 400000;
    double max_error = 1e-4;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dim") && i + 1 < argc) d = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--hidden") && i + 1 < argc) m = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--queries") && i + 1 < argc) queries = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--max-error") && i + 1 < argc) max_error = atof(argv[++i]);
        else { fprintf(stderr, "usage: extract_function [--dim D] [--hidden M] [--queries N] [--max-error E]\n"); return 2; }
    }
    if (relufast_api_version() != RELUFAST_API_VERSION) { fprintf(stderr, "library API %d, header %d\n", relufast_api_version(), RELUFAST_API_VERSION); return 2; }

    /* The secret: unit-norm-ish w_i, |a_i| in [0.5, 1.5], b_i in [-1, 1], a linear remainder. */
    box f = { d, m, calloc(m, sizeof(double)), calloc((size_t)m * d, sizeof(double)), calloc(m, sizeof(double)), 0.3, calloc(d, sizeof(double)) };
    uint64_t state = 20261201;
    for (int i = 0; i < m; i++) {
        double norm = 0;
        for (int k = 0; k < d; k++) { f.w[i * d + k] = uniform(&state, -1, 1); norm += f.w[i * d + k] * f.w[i * d + k]; }
        for (int k = 0; k < d; k++) f.w[i * d + k] /= sqrt(norm);
        f.a[i] = uniform(&state, 0.5, 1.5) * (next_u64(&state) & 1 ? 1 : -1);
        f.b[i] = uniform(&state, -1, 1);
    }
    for (int k = 0; k < d; k++) f.c[k] = uniform(&state, -0.2, 0.2);

    relufast_learner_options options;
    CHECK(relufast_learner_options_init(&options));
    options.input_dim = d;
    relufast_learner *learner = NULL;
    CHECK(relufast_learner_create(&options, &learner));
    CHECK(relufast_learner_use_oracle(learner, query, &f, queries, 7, RELUFAST_CALLBACK_THREAD_SAFE | RELUFAST_ORACLE_CACHE));
    CHECK(relufast_learner_run(learner));

    relufast_result_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    CHECK(relufast_learner_result(learner, &info));
    relufast_network *model = NULL, *truth = NULL;
    CHECK(relufast_learner_network(learner, &model));
    CHECK(relufast_network_create(d, m, f.a, f.w, f.b, f.c0, f.c, &truth));
    relufast_comparison cmp;
    memset(&cmp, 0, sizeof cmp);
    cmp.struct_size = sizeof cmp;
    CHECK(relufast_network_compare(model, truth, 100000, 99, &cmp));
    double c0;
    double *c = calloc(d, sizeof(double));
    CHECK(relufast_network_read(model, NULL, 0, NULL, 0, NULL, 0, &c0, c, d));
    double c_error = fabs(c0 - f.c0);
    for (int k = 0; k < d; k++) c_error = fmax(c_error, fabs(c[k] - f.c[k]));
    printf("extracted d = %d, m = %d from %lld queries (2^%.1f; %lld distinct, cached), %.2f s, mode %s:\n",
           d, info.hidden, (long long)info.oracle_queries, log2((double)info.oracle_queries), (long long)queries, info.seconds,
           info.mode == RELUFAST_MODE_OVERCOMPLETE ? "overcomplete" : "full rank");
    printf("  max errors: w %.2e, a %.2e, b %.2e, linear %.2e; relative test MSE %.2e\n", cmp.w_error, cmp.a_error, cmp.b_error, c_error, cmp.relative_test_mse);
    expect(info.hidden == m, "the extracted network has the host's m neurons");
    expect(info.oracle_queries > 0 && info.oracle_queries <= queries, "with the cache, each query is asked at most once");
    expect(cmp.w_error < max_error && cmp.a_error < max_error && cmp.b_error < max_error && c_error < max_error, "parameter errors below --max-error");

    /* A version-1 host: the struct ends at noise_floor, and the fields after it are left alone. */
    relufast_result_info old;
    memset(&old, 0x5A, sizeof old);
    old.struct_size = (uint32_t)offsetof(relufast_result_info, oracle_queries);
    CHECK(relufast_learner_result(learner, &old));
    expect(old.hidden == info.hidden && old.held_out_mse == info.held_out_mse, "a version-1 sized result_info gets the version-1 fields");
    expect(old.oracle_queries == (int64_t)0x5A5A5A5A5A5A5A5Aull, "and nothing beyond them is written");

    /* A failing oracle: RELUFAST_ERROR_CALLBACK naming its code; the previous result is kept. */
    CHECK(relufast_learner_use_oracle(learner, failing_query, NULL, queries, 7, 0));
    relufast_status status = relufast_learner_run(learner);
    expect(status == RELUFAST_ERROR_CALLBACK && strstr(relufast_last_error(), "returned 42") != NULL, "a failing oracle gives RELUFAST_ERROR_CALLBACK with its code");
    printf("  (%s: %s)\n", relufast_status_name(status), relufast_last_error());

    /* Cancel from the progress callback. */
    int calls = 0;
    CHECK(relufast_learner_use_oracle(learner, query, &f, queries, 7, RELUFAST_CALLBACK_THREAD_SAFE));
    CHECK(relufast_learner_set_progress(learner, stop_at_pass_two, &calls));
    CHECK(relufast_learner_set_mode(learner, RELUFAST_MODE_FULL_RANK));
    status = relufast_learner_run(learner);
    expect(status == RELUFAST_ERROR_CANCELLED && calls > 0, "a progress callback returning nonzero cancels the run");
    printf("  (%s after %d progress calls: %s)\n", relufast_status_name(status), calls, relufast_last_error());
    CHECK(relufast_learner_result(learner, &old));
    expect(old.hidden == info.hidden, "the cancelled run kept the previous result");
    expect(relufast_learner_set_mode(learner, 9) == RELUFAST_ERROR_INVALID_ARGUMENT, "an unknown mode is refused");
    expect(relufast_learner_use_oracle(learner, NULL, NULL, 10, 1, 0) == RELUFAST_ERROR_NULL_POINTER, "a NULL oracle is refused");

    relufast_network_destroy(model);
    relufast_network_destroy(truth);
    relufast_learner_destroy(learner);
    free(f.a); free(f.w); free(f.b); free(f.c); free(c);
    printf("%s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}
