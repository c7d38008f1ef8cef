// oneDNN 2.x batched matmul, f32 × f32 → f32 against bf16 × bf16 → f32 (what autocast runs), on one shape:
// `matmul BATCH M K N`. Prints the implementation oneDNN picked (e.g. brg:avx512_core_amx_bf16 where the
// CPU has AMX), the best of 20 runs and GFLOP/s. Threads: OMP_NUM_THREADS (oneDNN runs on GNU OpenMP).
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "probe.h"

static void run(dnnl_engine_t engine, dnnl_stream_t stream, int batch, int m, int k, int n, dnnl_data_type_t in) {
    dnnl_dims_t aDims = {batch, m, k}, bDims = {batch, k, n}, cDims = {batch, m, n};
    dnnl_memory_desc_t aDesc, bDesc, cDesc;
    CHECK(dnnl_memory_desc_init_by_tag(&aDesc, 3, aDims, in, dnnl_abc));
    CHECK(dnnl_memory_desc_init_by_tag(&bDesc, 3, bDims, in, dnnl_abc));
    CHECK(dnnl_memory_desc_init_by_tag(&cDesc, 3, cDims, dnnl_f32, dnnl_abc));
    dnnl_matmul_desc_t desc;
    CHECK(dnnl_matmul_desc_init(&desc, &aDesc, &bDesc, NULL, &cDesc));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL));
    dnnl_primitive_t matmul;
    CHECK(dnnl_primitive_create(&matmul, pd));
    const char *impl = "?";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);

    size_t size = in == dnnl_bf16 ? 2 : 4;
    void *a = calloc((size_t)batch * m * k, size), *b = calloc((size_t)batch * k * n, size);
    float *c = calloc((size_t)batch * m * n, 4);
    dnnl_memory_t aMem, bMem, cMem;
    CHECK(dnnl_memory_create(&aMem, &aDesc, engine, a));
    CHECK(dnnl_memory_create(&bMem, &bDesc, engine, b));
    CHECK(dnnl_memory_create(&cMem, &cDesc, engine, c));
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, aMem}, {DNNL_ARG_WEIGHTS, bMem}, {DNNL_ARG_DST, cMem}};
    double best = 1e30;
    for (int r = 0; r < 20; r++) {
        double start = now();
        CHECK(dnnl_primitive_execute(matmul, stream, 3, args));
        CHECK(dnnl_stream_wait(stream));
        double t = now() - start;
        if (t < best) best = t;
    }
    printf("%-4s %-28s %d × %d·%d·%d: %7.3f ms, %6.1f GFLOP/s (%d threads)\n",
           in == dnnl_bf16 ? "bf16" : "f32", impl, batch, m, k, n, best * 1e3,
           2.0 * batch * m * k * n / best / 1e9, omp_get_max_threads());
    dnnl_memory_destroy(aMem); dnnl_memory_destroy(bMem); dnnl_memory_destroy(cMem);
    dnnl_primitive_destroy(matmul); dnnl_primitive_desc_destroy(pd);
    free(a); free(b); free(c);
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: matmul BATCH M K N\n"); return 2; }
    int batch = atoi(argv[1]), m = atoi(argv[2]), k = atoi(argv[3]), n = atoi(argv[4]);
    dnnl_engine_t engine;
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    dnnl_stream_t stream;
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    run(engine, stream, batch, m, k, n, dnnl_f32);
    run(engine, stream, batch, m, k, n, dnnl_bf16);
    return 0;
}
