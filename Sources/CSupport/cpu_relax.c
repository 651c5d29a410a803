// A spin-wait hint for the worker pool's short waits (see WorkerPool.swift).
#include "CSupport.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
void embedviz_cpu_relax(void) { _mm_pause(); }
#elif defined(__aarch64__)
void embedviz_cpu_relax(void) { __asm__ __volatile__("yield"); }
#else
void embedviz_cpu_relax(void) {}
#endif
