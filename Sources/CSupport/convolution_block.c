// The tutorial CNN's first block in training mode — Conv2d(1→C, 3×3) → BatchNorm2d → ReLU →
// MaxPool2d(2) → ReLU — as direct convolutions, one output channel at a time; see
// Sources/NeuralNet/Layers/ConvolutionBlock.swift for the layout and the reasons.
//
// Why C: the Swift build targets baseline x86-64 (SSE2), where a 16-lane vector is four registers
// and this kernel's working set spills; Swift has no per-function target attribute. Here each
// function is compiled three times (`target_clones`: AVX-512, AVX2, baseline) and the loader picks
// the one the CPU supports. The arithmetic is the same in every clone — plain multiplies and adds
// in a fixed order (this file is built with -ffp-contract=off, so nothing is fused), lane by lane,
// sums finished in double in a fixed order — so all three give the same bits.
#include "CSupport.h"
#include "clones.h"
#include <string.h>

#define POOLED 13
#define MAP 26
#define INPUT 28
#define ROW 32              // floats per split row: even columns (16), odd columns (16)
#define IMAGE (INPUT * ROW) // floats per split image
#define PLANE (POOLED * POOLED)
#define INLINE static inline __attribute__((always_inline))

// 16-lane vectors (GCC/Clang vector extensions): one zmm register on AVX-512, two ymm on AVX2, four
// xmm on baseline, the same lane-wise arithmetic on each. Comparisons give all-ones/zero lanes.
typedef float vf __attribute__((vector_size(64)));
typedef int vi __attribute__((vector_size(64)));
typedef unsigned char vb __attribute__((vector_size(16)));

// (Macros, not functions: a function taking or returning a vector would need one ABI per clone.)
#define load(p) ({ vf loaded_; memcpy(&loaded_, (p), sizeof loaded_); loaded_; })
#define splat(a) ((vf){0} + (a))
/// `mask ? v : 0`, `mask ? a : b` lane by lane.
#define keep(v, mask) ((vf)((vi)(v) & (mask)))
#define pick(mask, a, b) ((vf)(((vi)(a) & (mask)) | ((vi)(b) & ~(mask))))
/// Lanes 0–12: the pooled columns.
#define VALID ((vi){0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15} < POOLED)

// x[q] for q = top-even, top-odd, bottom-even, bottom-odd: the convolution at (2·oy + q/2, 2·ox + q%2).
INLINE void convolve(const float *image, int oy, const float *w, float bias, vf x[4]) {
    for (int q = 0; q < 4; q++) x[q] = splat(bias);
    for (int i = 0; i < 4; i++) {  // input row 2·oy + i: tap row i of the top outputs, i − 1 of the bottom
        const float *even = image + (2 * oy + i) * ROW, *odd = even + 16;
        vf e0 = load(even), o0 = load(odd), e1 = load(even + 1), o1 = load(odd + 1);
        if (i < 3) {
            float a = w[3 * i], b = w[3 * i + 1], c = w[3 * i + 2];
            x[0] = x[0] + a * e0 + b * o0 + c * e1;
            x[1] = x[1] + a * o0 + b * e1 + c * o1;
        }
        if (i > 0) {
            float a = w[3 * (i - 1)], b = w[3 * (i - 1) + 1], c = w[3 * (i - 1) + 2];
            x[2] = x[2] + a * e0 + b * o0 + c * e1;
            x[3] = x[3] + a * o0 + b * e1 + c * o1;
        }
    }
}

// Lanes 0–12 of `v` added in double, in lane order.
INLINE double total(const vf *v) {
    double s = 0;
    for (int l = 0; l < POOLED; l++) s += (double)(*v)[l];
    return s;
}

CLONES
void embedviz_block_split(const float *input, int batch, float *split) {
    memset(split, 0, sizeof(float) * ((size_t)batch * IMAGE + 16));
    for (int r = 0; r < batch * INPUT; r++) {
        const float *src = input + r * INPUT;
        float *even = split + r * ROW, *odd = even + 16;
        for (int i = 0; i < INPUT / 2; i++) { even[i] = src[2 * i]; odd[i] = src[2 * i + 1]; }
    }
}

CLONES
double embedviz_block_centred_squares(const float *split, int batch, const float *w, float bias, float mean) {
    double sum = 0;
    for (int b = 0; b < batch; b++) {
        vf acc = splat(0), x[4];
        for (int oy = 0; oy < POOLED; oy++) {
            convolve(split + b * IMAGE, oy, w, bias, x);
            for (int q = 0; q < 4; q++) { vf d = x[q] - mean; acc = acc + d * d; }
        }
        sum += total(&acc);
    }
    return sum;
}

CLONES
void embedviz_block_forward(const float *split, int batch, const float *w, float bias, float mean, float inverseStd,
                            float gamma, float beta, float *pooled, long stride, unsigned char *argmax, float *pooledXHat) {
    for (int b = 0; b < batch; b++) {
        float *out = pooled + b * stride, *kept = pooledXHat + b * PLANE;
        unsigned char *which = argmax + b * PLANE;
        vf x[4];
        for (int oy = 0; oy < POOLED; oy++) {
            convolve(split + b * IMAGE, oy, w, bias, x);
            // x̂ = (x − μ)·σ⁻¹, y = max(γ·x̂ + β, 0) (0 where γ·x̂ + β < 0); the first largest of the window wins.
            vf xHat = (x[0] - mean) * inverseStd, best = gamma * xHat + beta;
            best = keep(best, ~(best < 0));
            vi index = {0};
            for (int q = 1; q < 4; q++) {
                vf h = (x[q] - mean) * inverseStd, y = gamma * h + beta;
                y = keep(y, ~(y < 0));
                vi better = y > best;
                best = pick(better, y, best);
                xHat = pick(better, h, xHat);
                index = (q & better) | (index & ~better);
            }
            vb at = __builtin_convertvector(index, vb);
            memcpy(out + oy * POOLED, &best, sizeof(float) * POOLED);
            memcpy(kept + oy * POOLED, &xHat, sizeof(float) * POOLED);
            memcpy(which + oy * POOLED, &at, POOLED);
        }
    }
}

CLONES
void embedviz_block_backward(const float *split, int batch, const float *w, float bias, float mean, float inverseStd,
                             float scale, float meanDy, float meanDyXHat, const float *dPooled,
                             const unsigned char *argmax, double *gradient, float *dX) {
    for (int k = 0; k < 10; k++) gradient[k] = 0;
    const float base = scale * (0 - meanDy), slope = scale * meanDyXHat * inverseStd;
    const vi lanes = VALID;
    for (int b = 0; b < batch; b++) {
        const float *image = split + b * IMAGE, *dy = dPooled + b * PLANE;
        const unsigned char *which = argmax + b * PLANE;
        vf g[10], x[4], d[4];
        for (int k = 0; k < 10; k++) g[k] = splat(0);
        for (int oy = 0; oy < POOLED; oy++) {
            convolve(image, oy, w, bias, x);
            // dx = scale·(dy − meanDy − x̂·meanDyXHat), dy the pooled gradient at the window's winner.
            vf dyRow = splat(0);
            vb atRow = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4};
            memcpy(&dyRow, dy + oy * POOLED, sizeof(float) * POOLED);
            memcpy(&atRow, which + oy * POOLED, POOLED);
            vi at = __builtin_convertvector(atRow, vi);
            vf routed = scale * dyRow;
            for (int q = 0; q < 4; q++)
                d[q] = keep(base - slope * (x[q] - mean) + keep(routed, at == q), lanes);
            if (dX) {
                float *top = dX + b * MAP * MAP + 2 * oy * MAP, *bottom = top + MAP;
                for (int ox = 0; ox < POOLED; ox++) {
                    top[2 * ox] = d[0][ox]; top[2 * ox + 1] = d[1][ox];
                    bottom[2 * ox] = d[2][ox]; bottom[2 * ox + 1] = d[3][ox];
                }
            }
            g[9] = g[9] + ((d[0] + d[1]) + (d[2] + d[3]));
            // Tap (ky, kx) of the top outputs reads input row ky, of the bottom outputs row ky + 1.
            for (int i = 0; i < 4; i++) {
                const float *even = image + (2 * oy + i) * ROW, *odd = even + 16;
                vf e0 = load(even), o0 = load(odd), e1 = load(even + 1), o1 = load(odd + 1);
                if (i < 3) {
                    vf *t = g + 3 * i;
                    t[0] = t[0] + (d[0] * e0 + d[1] * o0);
                    t[1] = t[1] + (d[0] * o0 + d[1] * e1);
                    t[2] = t[2] + (d[0] * e1 + d[1] * o1);
                }
                if (i > 0) {
                    vf *t = g + 3 * (i - 1);
                    t[0] = t[0] + (d[2] * e0 + d[3] * o0);
                    t[1] = t[1] + (d[2] * o0 + d[3] * e1);
                    t[2] = t[2] + (d[2] * e1 + d[3] * o1);
                }
            }
        }
        for (int k = 0; k < 10; k++) gradient[k] += total(&g[k]);
    }
}
