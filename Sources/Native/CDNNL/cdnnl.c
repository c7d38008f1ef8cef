// See include/CDNNL.h. oneDNN is opened with dlopen and its functions looked up by name, so that the
// package builds and runs without it (where Debian has no libdnnl, or a user never asks for bf16);
// its 2.x C API is used (3.x replaced the descriptor functions).
#define _GNU_SOURCE
#include "CDNNL.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <oneapi/dnnl/dnnl.h>

// The functions used, looked up once.
#define CDNNL_FUNCTIONS(X) \
    X(dnnl_engine_create) X(dnnl_stream_create) X(dnnl_stream_wait) X(dnnl_memory_desc_init_by_strides) \
    X(dnnl_matmul_desc_init) X(dnnl_primitive_attr_create) X(dnnl_primitive_attr_destroy) \
    X(dnnl_primitive_attr_set_scratchpad_mode) X(dnnl_primitive_attr_set_output_scales) \
    X(dnnl_post_ops_create) X(dnnl_post_ops_append_sum) X(dnnl_post_ops_destroy) \
    X(dnnl_primitive_attr_set_post_ops) X(dnnl_primitive_desc_create) X(dnnl_primitive_desc_destroy) \
    X(dnnl_primitive_desc_query) X(dnnl_primitive_desc_query_md) X(dnnl_memory_desc_get_size) \
    X(dnnl_primitive_create) X(dnnl_primitive_destroy) X(dnnl_memory_create) X(dnnl_memory_destroy) \
    X(dnnl_primitive_execute) \
    X(dnnl_version)

static struct {
#define CDNNL_POINTER(name) __typeof__(&name) name;
    CDNNL_FUNCTIONS(CDNNL_POINTER)
    void (*omp_set_num_threads)(int);
} api;

static dnnl_engine_t engine;
static char loadError[512];
static int loaded;   // 1 loaded, -1 failed
static pthread_once_t loadOnce = PTHREAD_ONCE_INIT;
static char versionText[32];

// One OpenMP thread for every oneDNN call of this thread (preparing a product fixes its thread count):
// our worker threads cut the work. Set per thread, since libgomp may have been loaded before us and read
// another OMP_NUM_THREADS.
static __thread int threadSingle;
static void singleThreaded(void) {
    if (threadSingle) return;
    if (api.omp_set_num_threads) api.omp_set_num_threads(1);
    threadSingle = 1;
}

static void load(void) {
    // Read by GNU OpenMP when it loads with oneDNN (the default for threads that never call us).
    setenv("OMP_NUM_THREADS", "1", 1);
    void *library = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(loadError, sizeof loadError,
                 "oneDNN (libdnnl.so.2) is not installed: `apt-get install libdnnl2` (Debian/Ubuntu) or run "
                 "Scripts/setup.sh (%s)", dlerror());
        loaded = -1;
        return;
    }
#define CDNNL_LOOKUP(name) \
    api.name = (__typeof__(&name))dlsym(library, #name); \
    if (!api.name) { \
        snprintf(loadError, sizeof loadError, "libdnnl.so.2 lacks %s: bf16 needs oneDNN 2.x", #name); \
        loaded = -1; return; }
    CDNNL_FUNCTIONS(CDNNL_LOOKUP)
    void *gomp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (gomp) api.omp_set_num_threads = (void (*)(int))dlsym(gomp, "omp_set_num_threads");
    const dnnl_version_t *v = api.dnnl_version();
    snprintf(versionText, sizeof versionText, "%d.%d.%d", v->major, v->minor, v->patch);
    if (v->major != 2) {
        snprintf(loadError, sizeof loadError, "libdnnl.so.2 is oneDNN %s: bf16 needs oneDNN 2.x", versionText);
        loaded = -1; return;
    }
    dnnl_status_t status = api.dnnl_engine_create(&engine, dnnl_cpu, 0);
    if (status != dnnl_success) {
        snprintf(loadError, sizeof loadError, "oneDNN could not make a CPU engine (status %d)", (int)status);
        loaded = -1; return;
    }
    loaded = 1;
}

int cdnnl_load(char *message, size_t capacity) {
    pthread_once(&loadOnce, load);
    if (loaded == 1) return 0;
    if (message && capacity) snprintf(message, capacity, "%s", loadError);
    return -1;
}

const char *cdnnl_version(void) { return loaded == 1 ? versionText : "not loaded"; }

struct cdnnl_matmul {
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t a, b, c, scratchpad;
    size_t scratchpadSize;
    char implementation[64];
};

#define TRY(call) do { status = (call); if (status != dnnl_success) { what = #call; goto failed; } } while (0)

cdnnl_matmul *cdnnl_matmul_create(int transA, int transB, int64_t m, int64_t n, int64_t k, int64_t lda,
                                  int64_t ldb, int64_t ldc, float alpha, float beta, char *message,
                                  size_t capacity) {
    if (cdnnl_load(message, capacity) != 0) return NULL;
    singleThreaded();
    cdnnl_matmul *mm = calloc(1, sizeof *mm);
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t postOps = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t status = dnnl_success;
    const char *what = "calloc";
    if (!mm) goto failed;
    {
        dnnl_dims_t aDims = {m, k}, bDims = {k, n}, cDims = {m, n};
        dnnl_dims_t aStrides = {transA ? 1 : lda, transA ? lda : 1};
        dnnl_dims_t bStrides = {transB ? 1 : ldb, transB ? ldb : 1};
        dnnl_dims_t cStrides = {ldc, 1};
        TRY(api.dnnl_memory_desc_init_by_strides(&mm->a, 2, aDims, dnnl_bf16, aStrides));
        TRY(api.dnnl_memory_desc_init_by_strides(&mm->b, 2, bDims, dnnl_bf16, bStrides));
        TRY(api.dnnl_memory_desc_init_by_strides(&mm->c, 2, cDims, dnnl_f32, cStrides));
        dnnl_matmul_desc_t desc;
        TRY(api.dnnl_matmul_desc_init(&desc, &mm->a, &mm->b, NULL, &mm->c));
        TRY(api.dnnl_primitive_attr_create(&attr));
        // Our own scratch memory per thread: oneDNN's shared one is not safe for concurrent calls.
        TRY(api.dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
        if (alpha != 1) TRY(api.dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha));
        if (beta != 0) {
            TRY(api.dnnl_post_ops_create(&postOps));
            TRY(api.dnnl_post_ops_append_sum(postOps, beta));
            TRY(api.dnnl_primitive_attr_set_post_ops(attr, postOps));
        }
        TRY(api.dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL));
        const char *implementation = "?";
        api.dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &implementation);
        snprintf(mm->implementation, sizeof mm->implementation, "%s", implementation);
        mm->scratchpad = *api.dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        mm->scratchpadSize = api.dnnl_memory_desc_get_size(&mm->scratchpad);
        TRY(api.dnnl_primitive_create(&mm->primitive, pd));
    }
    api.dnnl_primitive_desc_destroy(pd);
    if (postOps) api.dnnl_post_ops_destroy(postOps);
    api.dnnl_primitive_attr_destroy(attr);
    return mm;
failed:
    if (message && capacity)
        snprintf(message, capacity, "oneDNN could not prepare a bf16 product %lld × %lld × %lld: %s returned %d",
                 (long long)m, (long long)n, (long long)k, what, (int)status);
    if (pd) api.dnnl_primitive_desc_destroy(pd);
    if (postOps) api.dnnl_post_ops_destroy(postOps);
    if (attr) api.dnnl_primitive_attr_destroy(attr);
    free(mm);
    return NULL;
}

const char *cdnnl_matmul_implementation(const cdnnl_matmul *matmul) { return matmul->implementation; }

void cdnnl_matmul_destroy(cdnnl_matmul *matmul) {
    if (!matmul) return;
    api.dnnl_primitive_destroy(matmul->primitive);
    free(matmul);
}

// Per calling thread: a stream (streams are not shared between threads) and the scratch memory.
static __thread dnnl_stream_t threadStream;
static __thread void *threadScratch;
static __thread size_t threadScratchSize;

int cdnnl_matmul_run(const cdnnl_matmul *mm, const uint16_t *a, const uint16_t *b, float *c) {
    dnnl_status_t status;
    if (!threadStream) {
        singleThreaded();
        status = api.dnnl_stream_create(&threadStream, engine, dnnl_stream_default_flags);
        if (status != dnnl_success) { threadStream = NULL; return (int)status; }
    }
    if (threadScratchSize < mm->scratchpadSize) {
        free(threadScratch);
        threadScratch = malloc(mm->scratchpadSize);
        threadScratchSize = threadScratch ? mm->scratchpadSize : 0;
        if (!threadScratch) return (int)dnnl_out_of_memory;
    }
    dnnl_memory_t memories[4] = {NULL, NULL, NULL, NULL};
    status = api.dnnl_memory_create(&memories[0], &mm->a, engine, (void *)a);
    if (status == dnnl_success) status = api.dnnl_memory_create(&memories[1], &mm->b, engine, (void *)b);
    if (status == dnnl_success) status = api.dnnl_memory_create(&memories[2], &mm->c, engine, c);
    if (status == dnnl_success)
        status = api.dnnl_memory_create(&memories[3], &mm->scratchpad, engine, threadScratch);
    if (status == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, memories[0]}, {DNNL_ARG_WEIGHTS, memories[1]},
                                   {DNNL_ARG_DST, memories[2]}, {DNNL_ARG_SCRATCHPAD, memories[3]}};
        status = api.dnnl_primitive_execute(mm->primitive, threadStream, 4, args);
        if (status == dnnl_success) status = api.dnnl_stream_wait(threadStream);
    }
    for (int i = 0; i < 4; i++) if (memories[i]) api.dnnl_memory_destroy(memories[i]);
    return (int)status;
}

#else  // built without oneDNN's headers

int cdnnl_load(char *message, size_t capacity) {
    if (message && capacity)
        snprintf(message, capacity, "this cyclegan was built without oneDNN's headers: install libdnnl-dev "
                                    "(Scripts/setup.sh) and rebuild");
    return -1;
}
const char *cdnnl_version(void) { return "not built in"; }
cdnnl_matmul *cdnnl_matmul_create(int transA, int transB, int64_t m, int64_t n, int64_t k, int64_t lda,
                                  int64_t ldb, int64_t ldc, float alpha, float beta, char *message,
                                  size_t capacity) {
    (void)transA; (void)transB; (void)m; (void)n; (void)k; (void)lda; (void)ldb; (void)ldc; (void)alpha;
    (void)beta;
    cdnnl_load(message, capacity);
    return NULL;
}
const char *cdnnl_matmul_implementation(const cdnnl_matmul *matmul) { (void)matmul; return "none"; }
void cdnnl_matmul_destroy(cdnnl_matmul *matmul) { (void)matmul; }
int cdnnl_matmul_run(const cdnnl_matmul *matmul, const uint16_t *a, const uint16_t *b, float *c) {
    (void)matmul; (void)a; (void)b; (void)c;
    return -1;
}
#endif
