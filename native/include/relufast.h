/*
 * relufast.h - the C API of ReluFast (librelufast.so).
 *
 * ReluFast learns a depth-2 ReLU network with biases and a linear remainder,
 *
 *     f(x) = sum_i a_i relu(<w_i, x> + b_i) + c0 + <c, x>,    x ~ N(0, I_d),
 *
 * from samples (x, f(x)) by the method of moments. librelufast.so is the ReluFast .NET library compiled
 * ahead of time (NativeAOT): a host needs no .NET runtime, only librelufast.so and the libtorch libraries
 * published next to it (libLibTorchSharp.so, libtorch.so, libtorch_cpu.so, libc10.so, libgomp-*.so.1;
 * librelufast.so finds them through its RUNPATH $ORIGIN).
 *
 * Conventions
 *   - Every function except relufast_api_version, relufast_version, relufast_last_error and
 *     relufast_status_name returns a relufast_status. RELUFAST_OK is 0; on any other code the calling
 *     thread's relufast_last_error() describes the failure. No C++ or .NET exception ever leaves a function.
 *   - Handles (relufast_learner*, relufast_network*) are opaque and validated on every call: a destroyed,
 *     forged or wrong-kind handle gives RELUFAST_ERROR_INVALID_HANDLE, never a crash. Destroy functions
 *     accept NULL. Handles are never reused within a process.
 *   - Arrays are row-major and caller-owned; the library never keeps a pointer it was given after the call
 *     returns. Sizes are element counts (int64_t), not bytes.
 *   - Structs that grow between versions start with uint32_t struct_size: set it to sizeof(the struct)
 *     (relufast_learner_options_init does it for the options).
 *
 * Threads
 *   Each function's documentation names its thread-safety. In short: version, error and network functions
 *   are thread-safe; a learner is used by one thread at a time (overlapping calls on the same learner fail
 *   with RELUFAST_ERROR_BUSY instead of blocking or corrupting it), and different learners are independent.
 *   The learner itself runs its moment passes on `threads` worker threads.
 */
#ifndef RELUFAST_H
#define RELUFAST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header. relufast_api_version() returns the version the library implements; a host
 * built against this header should check that they are equal.
 * Version 2: the learner runs through ReluLearner (auto mode by default: full rank or overcomplete, chosen from the
 * data; relufast_learner_set_mode), options.hidden may exceed input_dim (up to d(d+1)/2), oracle and stream callbacks
 * (relufast_learner_use_oracle, relufast_learner_use_stream), a progress/cancel callback, RELUFAST_ERROR_CALLBACK and
 * RELUFAST_ERROR_CANCELLED, and relufast_result_info grew oracle_queries and mode (version-1 sized structs still work). */
#define RELUFAST_API_VERSION 2

typedef enum relufast_status {
    RELUFAST_OK = 0,
    RELUFAST_ERROR_INVALID_ARGUMENT = 1,  /* a value is out of range, shapes disagree, too few samples, ... */
    RELUFAST_ERROR_NULL_POINTER = 2,      /* a required pointer is NULL */
    RELUFAST_ERROR_INVALID_HANDLE = 3,    /* destroyed, never created, or a handle of the other kind */
    RELUFAST_ERROR_BUFFER_TOO_SMALL = 4,  /* an output buffer is shorter than needed (sizes can be queried) */
    RELUFAST_ERROR_INVALID_STATE = 5,     /* e.g. reading a result before relufast_learner_run */
    RELUFAST_ERROR_BUSY = 6,              /* another thread is inside a call on the same learner */
    RELUFAST_ERROR_DATA = 7,              /* a sample is NaN or infinite */
    RELUFAST_ERROR_TORCH_UNAVAILABLE = 8, /* libtorch could not be loaded, or a device is absent */
    RELUFAST_ERROR_OUT_OF_MEMORY = 9,
    RELUFAST_ERROR_CALLBACK = 10,         /* a host callback returned nonzero (the code is in the last error) */
    RELUFAST_ERROR_CANCELLED = 11,        /* the progress callback asked to stop */
    RELUFAST_ERROR_INTERNAL = 100         /* a bug: please report it with relufast_last_error() */
} relufast_status;

typedef enum relufast_dtype {
    RELUFAST_DTYPE_FLOAT32 = 1,
    RELUFAST_DTYPE_FLOAT64 = 2
} relufast_dtype;

/* A learner: options, the samples it was given (buffered) or a teacher stream, and its last result. */
typedef struct relufast_learner relufast_learner;

/* A network f (immutable): a (m), W (m x d, row i is w_i), b (m), c0, c (d). */
typedef struct relufast_network relufast_network;

/* ---------------------------------------------------------------------------------------------------
 * Version and errors (all thread-safe)
 * ------------------------------------------------------------------------------------------------- */

/* RELUFAST_API_VERSION of the library. */
int32_t relufast_api_version(void);

/* The library's version, e.g. "0.1.0" (static storage). */
const char *relufast_version(void);

/* The message of the most recent failed call on the calling thread, as UTF-8 ("" if none failed yet).
 * Thread-local: other threads' failures never change it. The pointer stays valid until the next failing
 * call on this thread (copy it to keep it). Successful calls leave it unchanged. */
const char *relufast_last_error(void);

/* "RELUFAST_OK", "RELUFAST_ERROR_INVALID_ARGUMENT", ... (static storage). */
const char *relufast_status_name(int32_t status);

/* Loads libtorch now (it is otherwise loaded by the first relufast_learner_run). On failure the last error
 * says which library failed to load and why (missing file, dynamic loader message). If libtorch_version is
 * not NULL it receives libtorch's version, NUL-terminated and truncated to capacity bytes.
 * Thread-safe; the load happens once per process. */
relufast_status relufast_runtime_check(char *libtorch_version, size_t capacity);

/* ---------------------------------------------------------------------------------------------------
 * Learner
 * ------------------------------------------------------------------------------------------------- */

typedef struct relufast_learner_options {
    uint32_t struct_size; /* sizeof(relufast_learner_options); set by relufast_learner_options_init */
    int32_t input_dim;    /* d >= 1 (required) */
    int32_t hidden;       /* m (1..d(d+1)/2; m > d needs the auto or overcomplete mode), or 0 to choose m from the spectra */
    int32_t refine;       /* nonzero: refine the moment estimate by L-BFGS on the squared error (default 1) */
    uint64_t seed;        /* seed of the learner's own random choices (default 1) */
    int32_t threads;      /* worker threads of the moment passes (at most 1024); 0 = all logical processors (default) */
    int32_t dtype;        /* relufast_dtype in which samples are stored and streamed (default FLOAT64) */
} relufast_learner_options;
/* Every other setting is the library's default (LearnerOptions): for FLOAT64 samples that includes pass 2's 3-tensor
 * products in float32 with float64 totals (TensorPrecision.Mixed; their rounding lies far below the moments' sampling
 * error, docs/passes.md). */

/* Fills *options with the defaults (input_dim = 0 still has to be set). Thread-safe. */
relufast_status relufast_learner_options_init(relufast_learner_options *options);

/* Creates a learner for samples of dimension options->input_dim. Thread-safe. */
relufast_status relufast_learner_create(const relufast_learner_options *options, relufast_learner **out_learner);

/* Destroys the learner and frees its samples. NULL is accepted. Fails with RELUFAST_ERROR_BUSY (and leaves the
 * learner alive) if another thread is inside a call on it. */
relufast_status relufast_learner_destroy(relufast_learner *learner);

/* Appends `count` samples: x is count x d row-major, y has count values. The learner copies them (it makes
 * several passes over the data), converting to its dtype; the caller may free x and y on return.
 * Memory: the learner holds count * (d + 1) * sizeof(dtype) bytes for its samples (chunks of at most 8 M
 * values of x, so growing never copies what is stored and N * d may exceed 2^31); relufast_learner_run
 * additionally keeps a subsample of up to 150 000 samples in double precision and per-thread blocks of
 * 4096 samples. Use RELUFAST_DTYPE_FLOAT32 to halve the buffer.
 * A block with a NaN or infinite value is rejected whole (RELUFAST_ERROR_DATA, naming the value).
 * Not with a teacher stream (RELUFAST_ERROR_INVALID_STATE). One thread at a time per learner. */
relufast_status relufast_learner_add_samples_f32(relufast_learner *learner, const float *x, const float *y, int64_t count);
relufast_status relufast_learner_add_samples_f64(relufast_learner *learner, const double *x, const double *y, int64_t count);

/* Makes the learner learn from `count` samples of `teacher` generated on the fly (nothing is buffered):
 * x ~ N(0, I_d), y = teacher(x) + noise_std * N(0, 1). Sample j depends only on (seed, j). For demos and
 * tests; the teacher may be destroyed afterwards. Not after sample blocks were added. One thread at a time
 * per learner. */
relufast_status relufast_learner_use_teacher(relufast_learner *learner, const relufast_network *teacher,
                                             int64_t count, uint64_t seed, double noise_std);

/* Which learner relufast_learner_run uses: RELUFAST_MODE_AUTO (the default) chooses from the data (the T_2 spectrum
 * and the flattened T_4/T_5 spectrum, one extra pass 1 and a span pass on a prefix), RELUFAST_MODE_FULL_RANK
 * (m <= d, linearly independent w_i) or RELUFAST_MODE_OVERCOMPLETE (m up to d(d+1)/2). One thread at a time per learner. */
typedef enum relufast_mode {
    RELUFAST_MODE_AUTO = 0,
    RELUFAST_MODE_FULL_RANK = 1,
    RELUFAST_MODE_OVERCOMPLETE = 2
} relufast_mode;

relufast_status relufast_learner_set_mode(relufast_learner *learner, int32_t mode);

/* Flags of the callbacks below. */
typedef enum relufast_callback_flags {
    RELUFAST_CALLBACK_THREAD_SAFE = 1, /* the callback may be called from several of the learner's threads at once */
    RELUFAST_ORACLE_CACHE = 2          /* oracle only: keep each answer (8 bytes + 1 per query), so each x is asked once */
} relufast_callback_flags;

/* The host's black box: writes y[j] = f(x_j) for the count inputs x (count x d, row-major, float64). Returns 0 on
 * success; any other value stops the run with RELUFAST_ERROR_CALLBACK. Must be deterministic (the same x gives the same y). */
typedef int32_t (*relufast_oracle_fn)(const double *x, int64_t count, double *y, void *user_data);

/* Makes the learner extract a network from the host's black box fn: the library draws the count queries itself,
 * x_j ~ N(0, I_d) from a counter-based stream keyed by (seed, j) (the same queries for any thread count), and calls fn
 * on blocks of them, from its worker threads at once if flags has RELUFAST_CALLBACK_THREAD_SAFE (one call at a time
 * otherwise). Nothing of size count is held unless flags has RELUFAST_ORACLE_CACHE: every pass (the learner makes
 * several, plus subsample reads) then asks again for the same x. relufast_result_info.oracle_queries counts the inputs
 * fn was given. user_data is passed through. fn and user_data must stay valid until the learner is destroyed or given
 * another source. Not after sample blocks were added. One thread at a time per learner. */
relufast_status relufast_learner_use_oracle(relufast_learner *learner, relufast_oracle_fn fn, void *user_data,
                                            int64_t count, uint64_t seed, int32_t flags);

/* The host's sample stream: writes samples [start, start + count) of its stream, x (count x d, row-major) and y
 * (count), in float64. Returns 0 on success; any other value stops the run with RELUFAST_ERROR_CALLBACK. */
typedef int32_t (*relufast_stream_fn)(int64_t start, int64_t count, double *x, double *y, void *user_data);

/* Makes the learner learn from `count` samples that the host produces on demand (nothing is buffered). The learner
 * reads the stream several times (the pilot and held-out subsamples, then every moment pass reads all of it again)
 * and asks for ranges [start, start + count) in any order, from its worker threads at once if flags has
 * RELUFAST_CALLBACK_THREAD_SAFE. The host must REPLAY the stream: the same values for the same indices on every call,
 * e.g. by generating sample j from a counter-based generator keyed by j (see examples/learn_stream.c) or by seeking
 * in its file. flags: 0 or RELUFAST_CALLBACK_THREAD_SAFE. fn and user_data must stay valid until the learner is
 * destroyed or given another source. Not after sample blocks were added. One thread at a time per learner. */
relufast_status relufast_learner_use_stream(relufast_learner *learner, relufast_stream_fn fn, void *user_data,
                                            int64_t count, int32_t flags);

/* Progress of relufast_learner_run: stage (0 pilot, 1 pass 1, 2 pass 2, 3 decomposition, 4 pass 3, 5 refinement,
 * 6 done, 7 overcomplete moment passes), fraction of the stage's samples done (-1 when the stage streams none) and a
 * message (UTF-8, valid during the call). Called from the learner's threads, one call at a time. Return 0 to go on;
 * nonzero cancels the run at the next block (relufast_learner_run then returns RELUFAST_ERROR_CANCELLED). */
typedef int32_t (*relufast_progress_fn)(int32_t stage, double fraction, const char *message, void *user_data);

/* Sets (or, with fn NULL, clears) the progress/cancel callback of the learner's runs. One thread at a time per learner. */
relufast_status relufast_learner_set_progress(relufast_learner *learner, relufast_progress_fn fn, void *user_data);

/* The number of samples the learner will use, and the bytes its sample buffer holds (0 with a teacher).
 * Either pointer may be NULL. One thread at a time per learner. */
relufast_status relufast_learner_sample_count(const relufast_learner *learner, int64_t *count, int64_t *buffer_bytes);

/* Runs the learner (ReluLearner: the mode set by relufast_learner_set_mode, auto by default): streaming moment
 * passes, decomposition, coefficients, linear remainder and (if options.refine) refinement. Blocking; uses
 * options.threads worker threads. Needs at least max(1000, 2 d^2) samples (the overcomplete learner more). May be
 * called again after adding samples (the result is replaced; a cancelled or failed run keeps the previous one).
 * One thread at a time per learner. */
relufast_status relufast_learner_run(relufast_learner *learner);

typedef struct relufast_result_info {
    uint32_t struct_size;           /* set to sizeof(relufast_result_info) before the call */
    int32_t hidden;                 /* number of neurons m of the learned network */
    int32_t hidden_was_estimated;   /* 1 if m was chosen from the spectrum */
    int32_t chosen_candidate;       /* which decomposition candidate won */
    int64_t samples;                /* samples used by the moment passes */
    double held_out_mse;            /* mean squared error on held-out samples */
    double held_out_variance;       /* variance of y on them (held_out_mse / this is a relative error) */
    double seconds;                 /* wall time of relufast_learner_run */
    double noise_floor;             /* estimated noise level of the T_2 spectrum */
    /* API version 2 (a host that sets struct_size to the version-1 size gets the fields above only): */
    int64_t oracle_queries;         /* inputs sent to the oracle callback by the last run (0 without an oracle) */
    int32_t mode;                   /* the learner that ran: RELUFAST_MODE_FULL_RANK or RELUFAST_MODE_OVERCOMPLETE */
    int32_t reserved;
} relufast_result_info;

/* Summary of the last run (RELUFAST_ERROR_INVALID_STATE before the first). One thread at a time per learner. */
relufast_status relufast_learner_result(const relufast_learner *learner, relufast_result_info *info);

/* A new network handle holding the learned network (unit w_i, with its linear remainder); it is independent
 * of the learner (destroy both). One thread at a time per learner. */
relufast_status relufast_learner_network(const relufast_learner *learner, relufast_network **out_network);

/* The learner's log of the last run (spectrum, choice of m, candidates, warnings), lines separated by '\n',
 * as NUL-terminated UTF-8. *needed (if not NULL) receives the bytes needed including the NUL. A NULL buffer
 * only queries the size; a short buffer receives a truncated, terminated copy and
 * RELUFAST_ERROR_BUFFER_TOO_SMALL. One thread at a time per learner. */
relufast_status relufast_learner_log(const relufast_learner *learner, char *buffer, size_t capacity, size_t *needed);

/* ---------------------------------------------------------------------------------------------------
 * Network (immutable; every function is thread-safe, including concurrent evaluation of one network;
 * only destroying a network while another thread still uses it is the caller's error: that call then
 * either completes normally or fails with RELUFAST_ERROR_INVALID_HANDLE, never touching freed memory)
 * ------------------------------------------------------------------------------------------------- */

/* A network from a (hidden), w (hidden x input_dim, row-major), b (hidden), c0 and c (input_dim, or NULL
 * for zeros). The arrays are copied. hidden may be 0 (a purely linear function; a, w, b may then be NULL).
 * Values must be finite. */
relufast_status relufast_network_create(int32_t input_dim, int32_t hidden, const double *a, const double *w,
                                        const double *b, double c0, const double *c, relufast_network **out_network);

/* A random teacher for demos: w_i uniform on the unit sphere, |a_i| uniform in [0.5, 1.5] with a random
 * sign, b_i uniform in [-1.5, 1.5], no linear part. Deterministic in seed. */
relufast_status relufast_network_create_random(int32_t input_dim, int32_t hidden, uint64_t seed,
                                               relufast_network **out_network);

/* Destroys the handle. NULL is accepted. */
relufast_status relufast_network_destroy(relufast_network *network);

/* The input dimension d and the number of neurons m (either pointer may be NULL). */
relufast_status relufast_network_dims(const relufast_network *network, int32_t *input_dim, int32_t *hidden);

/* Copies the parameters into caller buffers: a (m values), w (m x d, row i is w_i), b (m), c0, c (d). Each
 * pointer may be NULL to skip that part; each *_len is the buffer's capacity in elements. If any non-NULL
 * buffer is too short, nothing is written and RELUFAST_ERROR_BUFFER_TOO_SMALL is returned. */
relufast_status relufast_network_read(const relufast_network *network,
                                      double *a, int64_t a_len, double *w, int64_t w_len, double *b, int64_t b_len,
                                      double *c0, double *c, int64_t c_len);

/* Evaluates f on a batch: x is count x d row-major, y receives count values. Allocation-free in the steady
 * state (the float32 variant rounds the parameters to float once). x and y must not overlap. */
relufast_status relufast_network_evaluate_f32(const relufast_network *network, const float *x, int64_t count, float *y);
relufast_status relufast_network_evaluate_f64(const relufast_network *network, const double *x, int64_t count, double *y);

typedef struct relufast_comparison {
    uint32_t struct_size;     /* set to sizeof(relufast_comparison) before the call */
    int32_t reserved;
    double w_error;           /* max |w_i - w'_i| over neurons matched by the Hungarian algorithm (unit w) */
    double a_error;           /* max |a_i - a'_i| */
    double b_error;           /* max |b_i - b'_i| */
    double test_mse;          /* mean squared difference of the two functions on fresh Gaussian samples */
    double relative_test_mse; /* test_mse / variance of truth on the same samples */
    int64_t test_samples;
} relufast_comparison;

/* Compares model with truth: both normalised to unit w_i, neurons matched, parameter errors (infinite when
 * the neuron counts differ) and the test MSE on test_samples fresh samples drawn with seed. */
relufast_status relufast_network_compare(const relufast_network *model, const relufast_network *truth,
                                         int64_t test_samples, uint64_t seed, relufast_comparison *out);

#ifdef __cplusplus
}
#endif

#endif /* RELUFAST_H */
