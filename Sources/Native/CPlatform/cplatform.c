// See include/CPlatform.h.
#define _GNU_SOURCE
#include "CPlatform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

int cplatform_affinity_cpus(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
    return -1;
}

int cplatform_cpu_has(const char *feature) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (strcmp(feature, "avx2") == 0) return __builtin_cpu_supports("avx2");
    if (strcmp(feature, "fma") == 0) return __builtin_cpu_supports("fma");
    if (strcmp(feature, "avx512f") == 0) return __builtin_cpu_supports("avx512f");
    if (strcmp(feature, "avx512bw") == 0) return __builtin_cpu_supports("avx512bw");
    if (strcmp(feature, "avx512vl") == 0) return __builtin_cpu_supports("avx512vl");
    if (strcmp(feature, "avx512dq") == 0) return __builtin_cpu_supports("avx512dq");
#if defined(__clang__) && __clang_major__ >= 14
    if (strcmp(feature, "avx512bf16") == 0) return __builtin_cpu_supports("avx512bf16");
#endif
    if (strcmp(feature, "amxbf16") == 0) {   // CPUID leaf 7: EDX bit 22; the OS grants the tiles to oneDNN
        unsigned a, b, c, d;
        return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d >> 22 & 1);
    }
    return 0;
#elif defined(__aarch64__)
    return strcmp(feature, "neon") == 0;  // Advanced SIMD is part of every AArch64 CPU
#else
    (void)feature;
    return 0;
#endif
}

void cplatform_line_buffered_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

#if defined(__x86_64__)
// The Swift targets are compiled for x86-64 with AVX2 and FMA (Package.swift). On a CPU without them the
// first vector instruction would end the process with SIGILL and no word; this runs before main, in code
// compiled for the baseline, and stops with one line instead.
__attribute__((constructor)) static void cplatform_require_avx2_fma(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return;
    fprintf(stderr, "error: this CPU lacks %s: cyclegan on x86-64 needs AVX2 and FMA (x86-64-v3: Intel Haswell, "
                    "AMD Excavator and later, 2013 on)\n",
            __builtin_cpu_supports("avx2") ? "FMA" : "AVX2");
    exit(1);
}
#endif
