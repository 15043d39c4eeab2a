/*
 * learn_teacher.c - learns a depth-2 ReLU network end to end through relufast.h.
 *
 *   learn_teacher [--builtin] [--float] [--dim D] [--hidden M] [--samples N] [--seed S] [--max-rel-mse E]
 *
 * Default mode: the host builds a teacher f(x) = a^T relu(W x + b) itself, draws Gaussian inputs with its own
 * Box-Muller generator, feeds (x, f(x)) to the learner in blocks, runs it, reads the learned network back into
 * its own buffers, and measures the relative test MSE on fresh samples with its own evaluation of both
 * networks (and through relufast_network_evaluate_f64).
 * --builtin: the library draws a random teacher and streams its samples (relufast_learner_use_teacher).
 * --float: the learner stores and streams float32 samples (blocks are fed as float).
 * Exits 1 if the relative test MSE exceeds --max-rel-mse (default 1e-3), 2 on an API error.
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

/* ---- a small seeded generator: splitmix64 + Box-Muller ---- */

typedef struct rng { uint64_t state; int has_spare; double spare; } rng;

static uint64_t next_u64(rng *r) {
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform01(rng *r) { return ((next_u64(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0); } /* (0, 1) */

static double gaussian(rng *r) {
    if (r->has_spare) { r->has_spare = 0; return r->spare; }
    double u = uniform01(r), v = uniform01(r);
    double radius = sqrt(-2.0 * log(u)), angle = 6.283185307179586 * v;
    r->spare = radius * sin(angle);
    r->has_spare = 1;
    return radius * cos(angle);
}

/* ---- the host's own network evaluation: y = sum_i a_i relu(<w_i, x> + b_i) + c0 + <c, x> ---- */

typedef struct network { int d, m; double *a, *w, *b, c0, *c; } network;

static double evaluate(const network *n, const double *x) {
    double y = n->c0;
    for (int k = 0; k < n->d; k++) y += n->c[k] * x[k];
    for (int i = 0; i < n->m; i++) {
        double t = n->b[i];
        for (int k = 0; k < n->d; k++) t += n->w[i * n->d + k] * x[k];
        if (t > 0) y += n->a[i] * t;
    }
    return y;
}

static network alloc_network(int d, int m) {
    network n = { d, m, calloc((size_t)m, sizeof(double)), calloc((size_t)m * d, sizeof(double)),
                  calloc((size_t)m, sizeof(double)), 0.0, calloc((size_t)d, sizeof(double)) };
    if (!n.a || !n.w || !n.b || !n.c) { fprintf(stderr, "out of memory\n"); exit(2); }
    return n;
}

static void free_network(network *n) { free(n->a); free(n->w); free(n->b); free(n->c); }

/* Reads a network handle back into host buffers: sizes first, then the arrays. */
static network read_network(const relufast_network *handle) {
    int32_t d = 0, m = 0;
    CHECK(relufast_network_dims(handle, &d, &m));
    network n = alloc_network(d, m);
    CHECK(relufast_network_read(handle, n.a, m, n.w, (int64_t)m * d, n.b, m, &n.c0, n.c, d));
    return n;
}

/* A teacher drawn by the host: unit w_i, |a_i| in [0.5, 1.5] with random signs, b_i in [-1, 1]. */
static network host_teacher(int d, int m, rng *r) {
    network n = alloc_network(d, m);
    for (int i = 0; i < m; i++) {
        double norm = 0;
        for (int k = 0; k < d; k++) { n.w[i * d + k] = gaussian(r); norm += n.w[i * d + k] * n.w[i * d + k]; }
        norm = sqrt(norm);
        for (int k = 0; k < d; k++) n.w[i * d + k] /= norm;
        n.a[i] = (0.5 + uniform01(r)) * (uniform01(r) < 0.5 ? -1 : 1);
        n.b[i] = 2 * uniform01(r) - 1;
    }
    return n;
}

static void print_network(const char *title, const network *n) {
    printf("%s (d = %d, m = %d, c0 = %.4f)\n", title, n->d, n->m, n->c0);
    for (int i = 0; i < n->m; i++) {
        printf("  a = %8.4f  b = %8.4f  w = [", n->a[i], n->b[i]);
        for (int k = 0; k < n->d; k++) printf("%s%7.4f", k ? " " : "", n->w[i * n->d + k]);
        printf("]\n");
    }
}

int main(int argc, char **argv) {
    int builtin = 0, use_float = 0, d = 8, m = 4, hidden = 0;
    long long samples = 300000;
    unsigned long long seed = 2024;
    double max_rel_mse = 1e-3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--builtin")) builtin = 1;
        else if (!strcmp(argv[i], "--float")) use_float = 1;
        else if (!strcmp(argv[i], "--dim") && i + 1 < argc) d = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--hidden") && i + 1 < argc) hidden = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--teacher-hidden") && i + 1 < argc) m = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--samples") && i + 1 < argc) samples = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--max-rel-mse") && i + 1 < argc) max_rel_mse = atof(argv[++i]);
        else { fprintf(stderr, "unknown argument %s\n", argv[i]); return 2; }
    }

    if (relufast_api_version() != RELUFAST_API_VERSION) {
        fprintf(stderr, "librelufast implements C API %d, this host was built for %d\n", relufast_api_version(), RELUFAST_API_VERSION);
        return 2;
    }
    char torch_version[64];
    CHECK(relufast_runtime_check(torch_version, sizeof torch_version));
    printf("ReluFast %s (C API %d), libtorch %s\n", relufast_version(), relufast_api_version(), torch_version);

    relufast_learner_options options;
    CHECK(relufast_learner_options_init(&options));
    options.input_dim = d;
    options.hidden = hidden; /* 0: the learner picks m from the spectrum */
    options.refine = 1;
    options.seed = seed;
    options.dtype = use_float ? RELUFAST_DTYPE_FLOAT32 : RELUFAST_DTYPE_FLOAT64;
    relufast_learner *learner = NULL;
    CHECK(relufast_learner_create(&options, &learner));

    rng r = { seed, 0, 0 };
    network teacher;
    relufast_network *teacher_handle = NULL;
    if (builtin) {
        CHECK(relufast_network_create_random(d, m, seed, &teacher_handle));
        CHECK(relufast_learner_use_teacher(learner, teacher_handle, samples, seed + 1, 0.0));
        teacher = read_network(teacher_handle);
        printf("Built-in teacher: %lld samples streamed by the library (%s)\n", samples, use_float ? "float32" : "float64");
    } else {
        teacher = host_teacher(d, m, &r);
        CHECK(relufast_network_create(d, m, teacher.a, teacher.w, teacher.b, teacher.c0, teacher.c, &teacher_handle));
        /* Feed the samples in blocks, as a streaming host would; the learner copies each block. */
        const int block = 8192;
        double *xd = malloc(sizeof(double) * (size_t)block * d), *yd = malloc(sizeof(double) * (size_t)block);
        float *xf = malloc(sizeof(float) * (size_t)block * d), *yf = malloc(sizeof(float) * (size_t)block);
        if (!xd || !yd || !xf || !yf) { fprintf(stderr, "out of memory\n"); return 2; }
        for (long long start = 0; start < samples; start += block) {
            int n = (int)(samples - start < block ? samples - start : block);
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < d; k++) {
                    xd[(size_t)j * d + k] = gaussian(&r);
                    if (use_float) xd[(size_t)j * d + k] = (float)xd[(size_t)j * d + k];
                }
                yd[j] = evaluate(&teacher, xd + (size_t)j * d);
            }
            if (use_float) {
                for (size_t i = 0; i < (size_t)n * d; i++) xf[i] = (float)xd[i];
                for (int j = 0; j < n; j++) yf[j] = (float)yd[j];
                CHECK(relufast_learner_add_samples_f32(learner, xf, yf, n));
            } else {
                CHECK(relufast_learner_add_samples_f64(learner, xd, yd, n));
            }
        }
        free(xd); free(yd); free(xf); free(yf);
        int64_t count = 0, bytes = 0;
        CHECK(relufast_learner_sample_count(learner, &count, &bytes));
        printf("Host teacher: %lld samples fed in blocks of %d (%s); the learner buffers %.1f MB\n",
               (long long)count, block, use_float ? "float32" : "float64", bytes / 1e6);
    }
    print_network("Teacher", &teacher);

    CHECK(relufast_learner_run(learner));

    relufast_result_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    CHECK(relufast_learner_result(learner, &info));
    size_t log_size = 0;
    CHECK(relufast_learner_log(learner, NULL, 0, &log_size));
    char *log = malloc(log_size);
    CHECK(relufast_learner_log(learner, log, log_size, NULL));
    printf("Learner log:\n%s\n", log);
    free(log);

    relufast_network *model_handle = NULL;
    CHECK(relufast_learner_network(learner, &model_handle));
    network model = read_network(model_handle);
    print_network("Learned", &model);
    printf("m = %d (%s), held-out relative MSE %.3e, %.2f s\n", info.hidden, info.hidden_was_estimated ? "estimated" : "given",
           info.held_out_mse / (info.held_out_variance > 0 ? info.held_out_variance : 1), info.seconds);

    /* Test error on fresh samples, computed by the host from the parameters it read back. */
    const int tests = 100000;
    double *x = malloc(sizeof(double) * (size_t)tests * d), *y_lib = malloc(sizeof(double) * tests);
    rng test_rng = { seed ^ 0x7E57ull, 0, 0 };
    for (size_t i = 0; i < (size_t)tests * d; i++) x[i] = gaussian(&test_rng);
    CHECK(relufast_network_evaluate_f64(model_handle, x, tests, y_lib));
    double sse = 0, sum = 0, sum2 = 0, max_eval_diff = 0;
    for (int j = 0; j < tests; j++) {
        double truth = evaluate(&teacher, x + (size_t)j * d), guess = evaluate(&model, x + (size_t)j * d);
        sse += (guess - truth) * (guess - truth);
        sum += truth;
        sum2 += truth * truth;
        double diff = fabs(guess - y_lib[j]);
        if (diff > max_eval_diff) max_eval_diff = diff;
    }
    double variance = sum2 / tests - (sum / tests) * (sum / tests);
    double rel_mse = sse / tests / variance;

    relufast_comparison cmp;
    memset(&cmp, 0, sizeof cmp);
    cmp.struct_size = sizeof cmp;
    CHECK(relufast_network_compare(model_handle, teacher_handle, 200000, 7, &cmp));
    printf("Errors (library, matched neurons): w %.2e, a %.2e, b %.2e; test MSE %.2e (relative %.2e)\n",
           cmp.w_error, cmp.a_error, cmp.b_error, cmp.test_mse, cmp.relative_test_mse);
    printf("Host check: relative test MSE %.3e on %d fresh samples; host vs library evaluation differ by at most %.1e\n",
           rel_mse, tests, max_eval_diff);

    free(x); free(y_lib);
    free_network(&teacher); free_network(&model);
    CHECK(relufast_network_destroy(model_handle));
    CHECK(relufast_network_destroy(teacher_handle));
    CHECK(relufast_learner_destroy(learner));

    if (!(rel_mse <= max_rel_mse) || max_eval_diff > 1e-9) {
        printf("FAILED: relative test MSE %.3e > %.1e (or the library's evaluation disagrees)\n", rel_mse, max_rel_mse);
        return 1;
    }
    printf("OK: relative test MSE %.3e <= %.1e\n", rel_mse, max_rel_mse);
    return 0;
}
