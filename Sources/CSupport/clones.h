// CLONES: compile a function once per instruction set — AVX-512, AVX2, baseline x86-64 — and let
// the loader pick the one the CPU supports (an ifunc). The files that use it are built without
// contraction into fused multiply-adds (Package.swift), so every clone computes the same bits;
// scripts/test_clones.sh checks, defining CLONES empty to build one instruction set at a time.
#ifndef EMBEDVIZ_CLONES_H
#define EMBEDVIZ_CLONES_H
#if !defined(CLONES)
#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("avx512f,avx2,default")))
#else
#define CLONES
#endif
#endif
#endif
