// oneDNN 2.x matmul on one GEMM shape, as `--precision bf16` prepares it (strided A/B for transposes,
// user scratchpad, a sum post-op for beta = 1): bf16 × bf16 → f32 against f32 × f32 → f32.
// `shapes M N K TRANSA TRANSB`. Prints the implementation oneDNN picked, the time to prepare the product
// (the first one in a process also initialises oneDNN) and the best of 10 runs. Threads: OMP_NUM_THREADS.
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "probe.h"

static void run(dnnl_engine_t engine, dnnl_stream_t stream, int m, int n, int k, int ta, int tb, dnnl_data_type_t in) {
    dnnl_dims_t aDims = {m, k}, bDims = {k, n}, cDims = {m, n};
    dnnl_dims_t aStrides = {ta ? 1 : k, ta ? m : 1}, bStrides = {tb ? 1 : n, tb ? k : 1}, cStrides = {n, 1};
    dnnl_memory_desc_t a, b, c;
    CHECK(dnnl_memory_desc_init_by_strides(&a, 2, aDims, in, aStrides));
    CHECK(dnnl_memory_desc_init_by_strides(&b, 2, bDims, in, bStrides));
    CHECK(dnnl_memory_desc_init_by_strides(&c, 2, cDims, dnnl_f32, cStrides));
    dnnl_matmul_desc_t desc;
    CHECK(dnnl_matmul_desc_init(&desc, &a, &b, NULL, &c));
    dnnl_primitive_attr_t attr;
    CHECK(dnnl_primitive_attr_create(&attr));
    CHECK(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
    dnnl_post_ops_t postOps;
    CHECK(dnnl_post_ops_create(&postOps));
    CHECK(dnnl_post_ops_append_sum(postOps, 1.0f));
    CHECK(dnnl_primitive_attr_set_post_ops(attr, postOps));
    double start = now();
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL));
    dnnl_primitive_t matmul;
    CHECK(dnnl_primitive_create(&matmul, pd));
    double prepare = now() - start;
    const char *impl = "?";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    const dnnl_memory_desc_t *scratchDesc = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t element = in == dnnl_bf16 ? 2 : 4;
    void *A = calloc((size_t)m * k, element), *B = calloc((size_t)k * n, element);
    float *C = calloc((size_t)m * n, 4);
    void *S = malloc(dnnl_memory_desc_get_size(scratchDesc) + 1);
    dnnl_memory_t am, bm, cm, sm;
    CHECK(dnnl_memory_create(&am, &a, engine, A));
    CHECK(dnnl_memory_create(&bm, &b, engine, B));
    CHECK(dnnl_memory_create(&cm, &c, engine, C));
    CHECK(dnnl_memory_create(&sm, scratchDesc, engine, S));
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}, {DNNL_ARG_SCRATCHPAD, sm}};
    double best = 1e30;
    for (int r = 0; r < 10; r++) {
        double t = now();
        CHECK(dnnl_primitive_execute(matmul, stream, 4, args));
        CHECK(dnnl_stream_wait(stream));
        t = now() - t;
        if (t < best) best = t;
    }
    printf("%-4s %d×%d×%d%s%s: %-26s prepared in %5.1f ms, %8.3f ms, %6.1f GFLOP/s\n", in == dnnl_bf16 ? "bf16" : "f32",
           m, n, k, ta ? " Aᵀ" : "", tb ? " Bᵀ" : "", impl, prepare * 1e3, best * 1e3, 2.0 * m * n * k / best / 1e9);
    dnnl_memory_destroy(am); dnnl_memory_destroy(bm); dnnl_memory_destroy(cm); dnnl_memory_destroy(sm);
    dnnl_primitive_destroy(matmul); dnnl_primitive_desc_destroy(pd);
    dnnl_post_ops_destroy(postOps); dnnl_primitive_attr_destroy(attr);
    free(A); free(B); free(C); free(S);
}

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: shapes M N K TRANSA TRANSB\n"); return 2; }
    dnnl_engine_t engine;
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    dnnl_stream_t stream;
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    int m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]), ta = atoi(argv[4]), tb = atoi(argv[5]);
    run(engine, stream, m, n, k, ta, tb, dnnl_bf16);
    run(engine, stream, m, n, k, ta, tb, dnnl_f32);
    return 0;
}
