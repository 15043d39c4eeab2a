/*
 * api_checks.c - the error contract of relufast.h: codes, thread-local last error, handle validation,
 * buffer sizes, concurrent evaluation, and RELUFAST_ERROR_BUSY on overlapping learner calls.
 * Prints one line per check and "N passed, N failed"; exits 1 if any check failed.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "relufast.h"

static int passed, failed;

static void check(int ok, const char *what) {
    printf("%s: %s\n", ok ? "PASS" : "FAIL", what);
    if (ok) passed++; else failed++;
}

/* Expects `status` and a non-empty last error containing `fragment` (if given). */
static void expect(relufast_status status, relufast_status expected, const char *fragment, const char *what) {
    const char *message = relufast_last_error();
    int ok = status == expected && (expected == RELUFAST_OK || (message[0] != '\0' && (!fragment || strstr(message, fragment))));
    char line[512];
    snprintf(line, sizeof line, "%s -> %s (\"%s\")", what, relufast_status_name(status), expected == RELUFAST_OK ? "" : message);
    check(ok, line);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---- threads ---- */

static void *fail_on_other_thread(void *arg) {
    (void)arg;
    relufast_network_dims(NULL, NULL, NULL); /* fails with "network is NULL." on this thread only */
    return NULL;
}

typedef struct eval_job { relufast_network *net; double x[64 * 4]; double y[64]; int errors; } eval_job;

static void *evaluate_many(void *arg) {
    eval_job *job = arg;
    for (int rep = 0; rep < 2000; rep++) {
        double y[64];
        if (relufast_network_evaluate_f64(job->net, job->x, 64, y) != RELUFAST_OK || memcmp(y, job->y, sizeof y) != 0) job->errors++;
    }
    return NULL;
}

typedef struct run_job { relufast_learner *learner; volatile int started; volatile int done; relufast_status status; double seconds; } run_job;

static void *run_learner(void *arg) {
    run_job *job = arg;
    job->started = 1;
    double t0 = now();
    /* The main thread's probes may be inside the learner when the run starts: that run is answered BUSY (as it should be), so try
       again; only the probe, which returns at once, can hold it. */
    do job->status = relufast_learner_run(job->learner); while (job->status == RELUFAST_ERROR_BUSY);
    job->seconds = now() - t0;
    job->done = 1;
    return NULL;
}

int main(void) {
    check(relufast_api_version() == RELUFAST_API_VERSION, "relufast_api_version() == RELUFAST_API_VERSION");
    check(strlen(relufast_version()) > 0, "relufast_version() is a non-empty string");
    check(strcmp(relufast_status_name(RELUFAST_ERROR_BUSY), "RELUFAST_ERROR_BUSY") == 0, "relufast_status_name names codes");
    check(strcmp(relufast_status_name(12345), "RELUFAST_ERROR_UNKNOWN") == 0, "relufast_status_name of an unknown code");

    /* Options and learner creation. */
    relufast_learner_options options;
    expect(relufast_learner_options_init(NULL), RELUFAST_ERROR_NULL_POINTER, "options", "options_init(NULL)");
    expect(relufast_learner_options_init(&options), RELUFAST_OK, NULL, "options_init");
    check(options.struct_size == sizeof options && options.refine == 1 && options.dtype == RELUFAST_DTYPE_FLOAT64, "defaults filled in");
    relufast_learner *learner = (relufast_learner *)0x1;
    expect(relufast_learner_create(&options, &learner), RELUFAST_ERROR_INVALID_ARGUMENT, "input_dim", "create with input_dim 0");
    check(learner == NULL, "a failed create sets *out_learner to NULL");
    options.input_dim = 4;
    options.hidden = 11;
    expect(relufast_learner_create(&options, &learner), RELUFAST_ERROR_INVALID_ARGUMENT, "d(d+1)/2", "create with hidden > d(d+1)/2");
    options.hidden = 0;
    options.dtype = 7;
    expect(relufast_learner_create(&options, &learner), RELUFAST_ERROR_INVALID_ARGUMENT, "dtype", "create with an unknown dtype");
    options.dtype = RELUFAST_DTYPE_FLOAT64;
    options.threads = 100000; /* each worker holds its accumulators: refused at create, not out of memory in a pass */
    expect(relufast_learner_create(&options, &learner), RELUFAST_ERROR_INVALID_ARGUMENT, "1 to 1024", "create with threads over 1024");
    options.threads = 0;
    relufast_learner_options old = options;
    old.struct_size = 8;
    expect(relufast_learner_create(&old, &learner), RELUFAST_ERROR_INVALID_ARGUMENT, "struct_size", "create with a too small struct_size");
    expect(relufast_learner_create(&options, NULL), RELUFAST_ERROR_NULL_POINTER, NULL, "create with out_learner NULL");
    expect(relufast_learner_create(&options, &learner), RELUFAST_OK, NULL, "create d = 4");

    /* Samples. */
    double x[8] = { 0, 1, 2, 3, 4, 5, 6, NAN }, y[2] = { 1, 2 };
    expect(relufast_learner_add_samples_f64(learner, x, y, 2), RELUFAST_ERROR_DATA, "NaN", "a block with NaN is rejected");
    x[7] = 7;
    expect(relufast_learner_add_samples_f64(learner, x, y, -1), RELUFAST_ERROR_INVALID_ARGUMENT, "count", "negative count");
    expect(relufast_learner_add_samples_f64(learner, NULL, y, 2), RELUFAST_ERROR_NULL_POINTER, "x", "x NULL");
    expect(relufast_learner_add_samples_f64(learner, x, y, 2), RELUFAST_OK, NULL, "add 2 samples");
    int64_t count = -1;
    relufast_learner_sample_count(learner, &count, NULL);
    check(count == 2, "sample_count after a rejected and an accepted block is 2");
    expect(relufast_learner_run(learner), RELUFAST_ERROR_INVALID_ARGUMENT, "too few samples", "run with 2 samples");
    relufast_result_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    expect(relufast_learner_result(learner, &info), RELUFAST_ERROR_INVALID_STATE, "relufast_learner_run", "result before a successful run");

    /* Networks and handles. */
    const double a[1] = { 1 }, w[4] = { 1, 0, 0, 0 }, b[1] = { 0 };
    relufast_network *net = NULL;
    const double inf_a[1] = { INFINITY };
    expect(relufast_network_create(4, 1, inf_a, w, b, 0, NULL, &net), RELUFAST_ERROR_INVALID_ARGUMENT, "finite", "network with an infinite a");
    expect(relufast_network_create(4, 1, a, w, b, 0, NULL, &net), RELUFAST_OK, NULL, "network_create");
    expect(relufast_learner_use_teacher(learner, net, 1000, 1, 0), RELUFAST_ERROR_INVALID_STATE, "already holds", "teacher after samples");
    double a_out[1], w_out[3], c0;
    expect(relufast_network_read(net, a_out, 1, w_out, 3, NULL, 0, &c0, NULL, 0), RELUFAST_ERROR_BUFFER_TOO_SMALL, "w holds 3", "read into a short w");
    double w_full[4];
    expect(relufast_network_read(net, a_out, 1, w_full, 4, NULL, 0, &c0, NULL, 0), RELUFAST_OK, NULL, "read a, w, c0 (b, c skipped)");
    check(a_out[0] == 1 && w_full[0] == 1 && c0 == 0, "values read back");
    expect(relufast_network_dims((relufast_network *)learner, NULL, NULL), RELUFAST_ERROR_INVALID_HANDLE, "learner handle", "a learner handle used as a network");
    expect(relufast_network_dims((relufast_network *)(uintptr_t)0xDEADBEEF0ull, NULL, NULL), RELUFAST_ERROR_INVALID_HANDLE, "not a live", "a forged handle");
    relufast_network *gone = NULL;
    relufast_network_create(4, 1, a, w, b, 0, NULL, &gone);
    expect(relufast_network_destroy(gone), RELUFAST_OK, NULL, "destroy");
    double xs[4] = { 1, 1, 1, 1 }, ys[1];
    expect(relufast_network_evaluate_f64(gone, xs, 1, ys), RELUFAST_ERROR_INVALID_HANDLE, "destroyed", "evaluate after destroy");
    expect(relufast_network_destroy(gone), RELUFAST_ERROR_INVALID_HANDLE, NULL, "double destroy");
    expect(relufast_network_destroy(NULL), RELUFAST_OK, NULL, "destroy(NULL)");
    expect(relufast_learner_destroy(learner), RELUFAST_OK, NULL, "learner_destroy");
    expect(relufast_learner_run(learner), RELUFAST_ERROR_INVALID_HANDLE, NULL, "run after destroy");

    /* The last error is thread-local. */
    relufast_network_dims((relufast_network *)(uintptr_t)0x10ull, NULL, NULL);
    char before[256];
    snprintf(before, sizeof before, "%s", relufast_last_error());
    pthread_t t;
    pthread_create(&t, NULL, fail_on_other_thread, NULL);
    pthread_join(t, NULL);
    check(strcmp(before, relufast_last_error()) == 0, "another thread's failure leaves this thread's last error alone");

    /* Concurrent evaluation of one network from 4 threads. */
    eval_job jobs[4];
    for (int k = 0; k < 4; k++) {
        jobs[k].net = net;
        jobs[k].errors = 0;
        for (int i = 0; i < 64 * 4; i++) jobs[k].x[i] = sin(i * 0.37 + k);
        relufast_network_evaluate_f64(net, jobs[k].x, 64, jobs[k].y);
    }
    pthread_t threads[4];
    for (int k = 0; k < 4; k++) pthread_create(&threads[k], NULL, evaluate_many, &jobs[k]);
    int errors = 0;
    for (int k = 0; k < 4; k++) { pthread_join(threads[k], NULL); errors += jobs[k].errors; }
    check(errors == 0, "4 threads x 2000 evaluations of one network agree with the serial result");

    /* Overlapping calls on one learner: BUSY, never a crash or a wait. */
    options.input_dim = 6;
    relufast_learner *busy = NULL;
    relufast_network *teacher = NULL;
    relufast_learner_create(&options, &busy);
    relufast_network_create_random(6, 3, 5, &teacher);
    expect(relufast_learner_use_teacher(busy, teacher, 200000, 9, 0.0), RELUFAST_OK, NULL, "use_teacher");
    relufast_network_destroy(teacher); /* the learner keeps its own reference */
    run_job job = { busy, 0, 0, RELUFAST_OK, 0 };
    pthread_create(&t, NULL, run_learner, &job);
    while (!job.started) { }
    int busy_seen = 0, destroy_refused = 0, destroyed = 0;
    while (!job.done) {
        relufast_status s = relufast_learner_sample_count(busy, &count, NULL);
        if (s == RELUFAST_ERROR_BUSY) {
            busy_seen++;
            /* The run is inside the learner now, so destroy must be refused, unless the run ended in between. */
            if (!destroy_refused) {
                relufast_status d = relufast_learner_destroy(busy);
                if (d == RELUFAST_ERROR_BUSY) destroy_refused = 1;
                else if (d == RELUFAST_OK) { destroyed = 1; break; }
            }
        }
        struct timespec pause = { 0, 1000000 };
        nanosleep(&pause, NULL);
    }
    pthread_join(t, NULL);
    printf("  (run took %.2f s, %d overlapping calls answered BUSY)\n", job.seconds, busy_seen);
    expect(job.status, RELUFAST_OK, NULL, "the run on the other thread succeeded");
    check(job.seconds < 0.05 || destroyed || (busy_seen > 0 && destroy_refused), "overlapping calls and destroy got RELUFAST_ERROR_BUSY");
    if (!destroyed) {
        info.struct_size = sizeof info;
        expect(relufast_learner_result(busy, &info), RELUFAST_OK, NULL, "result after the run");
        check(info.hidden == 3 && info.samples == 200000, "the run learned 3 neurons from 200000 samples");
        expect(relufast_learner_destroy(busy), RELUFAST_OK, NULL, "destroy after the run");
    }

    relufast_network_destroy(net);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
