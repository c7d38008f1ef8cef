// What the probes share: a monotonic clock, and (after oneDNN's header) a check that stops on a failed call.
#ifndef PROBE_H
#define PROBE_H
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#ifdef ONEAPI_DNNL_DNNL_H
#define CHECK(call) do { dnnl_status_t status_ = (call); \
    if (status_ != dnnl_success) { fprintf(stderr, "%s failed: status %d\n", #call, (int)status_); exit(1); } } while (0)
#endif
#endif
