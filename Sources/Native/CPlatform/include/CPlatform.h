#ifndef CPLATFORM_H
#define CPLATFORM_H

// Facts about the CPU this process runs on, where only C can ask (glibc's CPU_COUNT macro, the compiler's
// CPU feature tests). Compiled for the baseline of the architecture, so it runs on any CPU.

/// CPUs in this process's affinity mask (`taskset`, container cpusets), or -1 where it cannot be read.
int cplatform_affinity_cpus(void);

/// 1 where the CPU has the feature. Names: "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq",
/// "avx512bf16", "amxbf16", "neon"; 0 for an unknown name or another architecture.
int cplatform_cpu_has(const char *feature);

/// Makes stdout line-buffered, as on a terminal, also when it is a file or a pipe.
void cplatform_line_buffered_stdout(void);

#endif
