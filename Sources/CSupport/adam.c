// Adam's elementwise update (see Sources/NeuralNet/Adam.swift for the formula and its callers).
//
// Why C: in the Swift build (baseline x86-64) a vector square root became a per-lane `sqrtf` with a
// domain check, and the update ran at ~12 cycles per parameter — 22% of a training epoch, measured
// with perf on a Zen 4 EPYC. Here it is compiled for AVX-512, AVX2 and baseline (chosen at load
// time) and, like every file of this target, without contraction into fused multiply-adds: each
// expression is the same sequence of correctly rounded operations in every clone, so the result
// does not depend on the CPU.
#include "CSupport.h"
#include "clones.h"

// One parameter's update with its gradient g (m, v and p in place).
#define ADAM_STEP(i, g)                                                                          \
    do {                                                                                         \
        float mi = beta1 * m[i] + c1 * (g), vi = beta2 * v[i] + c2 * ((g) * (g));                \
        m[i] = mi;                                                                               \
        v[i] = vi;                                                                               \
        p[i] = p[i] - stepSize * mi / (__builtin_sqrtf(vi) * inverseCorrection2 + epsilon);      \
    } while (0)

CLONES
void embedviz_adam_update(float *restrict p, const float *const *parts, int partCount, float *restrict m,
                          float *restrict v, long begin, long end, float stepSize, float inverseCorrection2,
                          float beta1, float beta2, float epsilon) {
    const float c1 = 1 - beta1, c2 = 1 - beta2;
    const float *first = parts[0];
    if (partCount == 1) {  // fc1's rows: no inner loop over parts, so the loop vectorises
        for (long i = begin; i < end; i++) ADAM_STEP(i, first[i]);
        return;
    }
    for (long i = begin; i < end; i++) {
        float g = first[i];
        for (int k = 1; k < partCount; k++) g += parts[k][i];
        ADAM_STEP(i, g);
    }
}
