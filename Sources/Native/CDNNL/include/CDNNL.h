#ifndef CDNNL_H
#define CDNNL_H

#include <stddef.h>
#include <stdint.h>

// bf16 matrix products through oneDNN (libdnnl.so.2), loaded at run time: a process that never asks for
// bf16 neither needs the library nor starts its OpenMP threads. oneDNN runs single-threaded here
// (OMP_NUM_THREADS=1 before it loads, and per calling thread): the Swift side cuts a product into blocks
// for its own worker threads, as it does for OpenBLAS, so results depend on the blocks, not the threads.

/// Loads oneDNN once. 0 on success; otherwise -1 and a sentence in `message` (library missing, too old).
int cdnnl_load(char *message, size_t capacity);

/// oneDNN's version, e.g. "2.6.3".
const char *cdnnl_version(void);

/// One prepared product C[m, n] = alpha · op(A) · op(B) + beta · C, row-major; A and B in bf16, C in f32,
/// accumulated in f32. `transA`: A is stored [k, m] with row stride lda; otherwise [m, k]. `transB`: B is
/// stored [n, k]; otherwise [k, n]. Immutable once made, so threads may run it concurrently.
typedef struct cdnnl_matmul cdnnl_matmul;

/// NULL on failure, with a sentence in `message`.
cdnnl_matmul *cdnnl_matmul_create(int transA, int transB, int64_t m, int64_t n, int64_t k, int64_t lda,
                                  int64_t ldb, int64_t ldc, float alpha, float beta, char *message,
                                  size_t capacity);

/// The implementation oneDNN chose, e.g. "brg:avx512_core_amx".
const char *cdnnl_matmul_implementation(const cdnnl_matmul *matmul);

/// Frees a product no thread runs any more.
void cdnnl_matmul_destroy(cdnnl_matmul *matmul);

/// Runs the product on the calling thread. 0 on success; otherwise a oneDNN status.
int cdnnl_matmul_run(const cdnnl_matmul *matmul, const uint16_t *a, const uint16_t *b, float *c);

#endif
