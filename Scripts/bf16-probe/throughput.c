// Peak multiply-accumulates per second of one core: AVX-512 FMA on f32 (vfmadd231ps, 16 per instruction)
// against AVX512_BF16's dot product (vdpbf16ps, 32 per instruction), 12 independent accumulators each so
// that latency cannot limit either. Compiled for the baseline; the bf16 loop runs only when CPUID says so.
#include <immintrin.h>
#include <cpuid.h>
#include <stdio.h>
#include <time.h>
#include "probe.h"

// Twelve named accumulators (not an array: the compiler keeps them in registers), unrolled by hand.
#define TWELVE(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11)
enum { chains = 12 };
static const long rounds = 100000000;
static volatile float seed = 1e-9f;

__attribute__((target("avx512f")))
static double fmaMACs(void) {
    __m512 x = _mm512_set1_ps(seed), y = _mm512_set1_ps(seed);
#define DECLARE(j) __m512 acc##j = _mm512_set1_ps(seed * (j + 1)); // distinct, or the compiler merges them
#define STEP(j) acc##j = _mm512_fmadd_ps(x, y, acc##j);
#define SUM(j) sum += _mm512_reduce_add_ps(acc##j);
    TWELVE(DECLARE)
    double start = now();
    for (long i = 0; i < rounds; i++) { TWELVE(STEP) }
    double seconds = now() - start;
    float sum = 0;
    TWELVE(SUM)
    if (sum < 0) printf("%g\n", sum);
    return (double)rounds * chains * 16 / seconds;
}

__attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl")))
static double bf16MACs(void) {
    __m512bh x = _mm512_cvtne2ps_pbh(_mm512_set1_ps(seed), _mm512_set1_ps(seed)), y = x;
#undef STEP
#define STEP(j) acc##j = _mm512_dpbf16_ps(acc##j, x, y);
    TWELVE(DECLARE)
    double start = now();
    for (long i = 0; i < rounds; i++) { TWELVE(STEP) }
    double seconds = now() - start;
    float sum = 0;
    TWELVE(SUM)
    if (sum < 0) printf("%g\n", sum);
    return (double)rounds * chains * 32 / seconds;
}

int main(void) {
    unsigned a, b, c, d;
    __cpuid_count(7, 0, a, b, c, d);
    int avx512f = (b >> 16) & 1;
    __cpuid_count(7, 1, a, b, c, d);
    int avx512bf16 = (a >> 5) & 1;
    if (!avx512f) { printf("no AVX-512 on this CPU: nothing to compare\n"); return 0; }
    double f = fmaMACs();
    printf("f32 FMA (vfmadd231ps zmm):   %6.1f GMAC/s per core\n", f / 1e9);
    if (!avx512bf16) { printf("no AVX512_BF16 on this CPU\n"); return 0; }
    double h = bf16MACs();
    printf("bf16 dot (vdpbf16ps zmm):    %6.1f GMAC/s per core (%.2f× f32)\n", h / 1e9, h / f);
    return 0;
}
