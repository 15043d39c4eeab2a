/*
 * runtime_check.c - loads libtorch through relufast_runtime_check and prints the outcome.
 *
 *   runtime_check                 expects libtorch to load (exit 0)
 *   runtime_check "some text"     expects RELUFAST_ERROR_TORCH_UNAVAILABLE with that text in the message
 *
 * CTest runs the second form against a copy of librelufast.so without its libtorch libraries, to check that
 * the real cause is reported (not TorchSharp's ArgumentNullException from its AOT-blind fallback probe).
 */
#include <stdio.h>
#include <string.h>

#include "relufast.h"

int main(int argc, char **argv) {
    char version[64] = "";
    relufast_status status = relufast_runtime_check(version, sizeof version);
    const char *message = relufast_last_error();
    printf("relufast_runtime_check: %s%s%s\n", relufast_status_name(status), status == RELUFAST_OK ? ", libtorch " : ": ",
           status == RELUFAST_OK ? version : message);
    /* A second call reports the same failure (the load is attempted once per process). */
    relufast_status again = relufast_runtime_check(NULL, 0);
    if (argc < 2) return status == RELUFAST_OK && again == RELUFAST_OK ? 0 : 1;
    int ok = status == RELUFAST_ERROR_TORCH_UNAVAILABLE && again == status && strstr(message, argv[1]) != NULL;
    printf(ok ? "OK: the failure names the cause\n" : "FAILED: expected RELUFAST_ERROR_TORCH_UNAVAILABLE mentioning \"%s\"\n", argv[1]);
    return ok ? 0 : 1;
}
