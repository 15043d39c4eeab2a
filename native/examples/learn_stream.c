/*
 * learn_stream.c - learns from samples the host streams on demand (relufast_learner_use_stream), holding none of them.
 *
 *   learn_stream [--dim D] [--hidden M] [--samples N] [--max-rel-mse E] [--max-memory-fraction F]
 *
 * The host's stream replays: sample j is a pure function of j (x_j from a counter-based generator keyed by the index,
 * y_j = f(x_j) for the host's own network), so the learner can ask for any range, any number of times, from several
 * threads (RELUFAST_CALLBACK_THREAD_SAFE). The process's peak resident memory (getrusage) is reported next to the
 * N x d x 8 bytes that holding x would take; the example fails if it exceeds --max-memory-fraction (default 0.5) of that.
 * Exits 1 on a failed check, 2 on an API error.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "relufast.h"

#define CHECK(call)                                                                                   \
    do {                                                                                              \
        relufast_status status_ = (call);                                                             \
        if (status_ != RELUFAST_OK) {                                                                 \
            fprintf(stderr, "%s failed: %s: %s\n", #call, relufast_status_name(status_), relufast_last_error()); \
            exit(2);                                                                                  \
        }                                                                                             \
    } while (0)

typedef struct stream { int d, m; double *a, *w, *b; uint64_t seed; } stream;

static uint64_t hash(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double unit(uint64_t bits) { return ((bits >> 11) + 0.5) * (1.0 / 9007199254740992.0); } /* (0, 1) */

/* Normal number k of the stream: Box-Muller on two hashed counters, so any k can be made alone, in any order. */
static double normal(uint64_t seed, uint64_t k) {
    double u = unit(hash(seed ^ (2 * k))), v = unit(hash(seed ^ (2 * k + 1)));
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static int32_t fill(int64_t start, int64_t count, double *x, double *y, void *user_data) {
    const stream *s = (const stream *)user_data;
    int d = s->d;
    for (int64_t j = 0; j < count; j++) {
        double *xj = x + j * d;
        uint64_t index = (uint64_t)(start + j);
        for (int k = 0; k < d; k++) xj[k] = normal(s->seed, index * (uint64_t)d + (uint64_t)k);
        double v = 0;
        for (int i = 0; i < s->m; i++) {
            double z = s->b[i];
            for (int k = 0; k < d; k++) z += s->w[i * d + k] * xj[k];
            if (z > 0) v += s->a[i] * z;
        }
        y[j] = v;
    }
    return 0;
}

int main(int argc, char **argv) {
    int d = 12, m = 6;
    int64_t n = 10000000;
    double max_rel_mse = 1e-3, max_memory_fraction = 0.5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dim") && i + 1 < argc) d = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--hidden") && i + 1 < argc) m = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--samples") && i + 1 < argc) n = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--max-rel-mse") && i + 1 < argc) max_rel_mse = atof(argv[++i]);
        else if (!strcmp(argv[i], "--max-memory-fraction") && i + 1 < argc) max_memory_fraction = atof(argv[++i]);
        else { fprintf(stderr, "usage: learn_stream [--dim D] [--hidden M] [--samples N] [--max-rel-mse E] [--max-memory-fraction F]\n"); return 2; }
    }

    relufast_network *truth = NULL;
    CHECK(relufast_network_create_random(d, m, 5, &truth));
    stream s = { d, m, calloc(m, sizeof(double)), calloc((size_t)m * d, sizeof(double)), calloc(m, sizeof(double)), 0xC0FFEEull };
    CHECK(relufast_network_read(truth, s.a, m, s.w, (int64_t)m * d, s.b, m, NULL, NULL, 0));

    relufast_learner_options options;
    CHECK(relufast_learner_options_init(&options));
    options.input_dim = d;
    relufast_learner *learner = NULL;
    CHECK(relufast_learner_create(&options, &learner));
    CHECK(relufast_learner_set_mode(learner, RELUFAST_MODE_FULL_RANK));
    CHECK(relufast_learner_use_stream(learner, fill, &s, n, RELUFAST_CALLBACK_THREAD_SAFE));
    int64_t buffered = -1;
    CHECK(relufast_learner_sample_count(learner, NULL, &buffered));
    CHECK(relufast_learner_run(learner));

    relufast_result_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    CHECK(relufast_learner_result(learner, &info));
    relufast_network *model = NULL;
    CHECK(relufast_learner_network(learner, &model));
    relufast_comparison cmp;
    memset(&cmp, 0, sizeof cmp);
    cmp.struct_size = sizeof cmp;
    CHECK(relufast_network_compare(model, truth, 100000, 3, &cmp));

    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double peak = usage.ru_maxrss * 1024.0, held = (double)n * d * 8.0;
    printf("learned m = %d from N = %lld streamed samples (d = %d) in %.1f s; relative test MSE %.2e, w error %.2e\n",
           info.hidden, (long long)n, d, info.seconds, cmp.relative_test_mse, cmp.w_error);
    printf("peak resident memory %.0f MB (libtorch and the runtime included); holding x would take N x d x 8 = %.0f MB; buffered: %lld bytes\n",
           peak / 1e6, held / 1e6, (long long)buffered);
    int failures = 0;
    if (!(cmp.relative_test_mse <= max_rel_mse)) { printf("FAILED: relative test MSE above %g\n", max_rel_mse); failures++; }
    if (!(peak <= max_memory_fraction * held)) { printf("FAILED: peak memory above %g of N x d x 8\n", max_memory_fraction); failures++; }
    if (buffered != 0) { printf("FAILED: the learner buffered samples\n"); failures++; }
    relufast_network_destroy(model);
    relufast_network_destroy(truth);
    relufast_learner_destroy(learner);
    free(s.a); free(s.w); free(s.b);
    printf("%s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}
