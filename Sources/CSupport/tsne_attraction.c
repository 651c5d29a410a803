// t-SNE's attractive forces for 2-D and 3-D maps (Gradient.swift, `KLDivergence.Attraction`):
// g[i] += exaggeration · Σⱼ pᵢⱼ wᵢⱼ (yᵢ − yⱼ), w = 1 / (1 + ‖yᵢ − yⱼ‖²), over row i of the sparse P —
// every non-zero, every iteration: the hot loop of a 2-D fit's attraction. In the Swift build (baseline
// x86-64) the 8 lanes were SSE pairs with the gathers one lane at a time; here it is compiled for
// AVX-512, AVX2 and baseline (clones.h) with the same 8-lane arithmetic, unfused, in every clone, so
// the forces are the same bits on every CPU.
#include "CSupport.h"
#include "clones.h"
#include <string.h>

typedef float v8 __attribute__((vector_size(32)));

#define load8(p) ({ v8 loaded_; memcpy(&loaded_, (p), sizeof loaded_); loaded_; })

static inline __attribute__((always_inline)) void rows(const long *start, const int *columns, const float *values,
                                                       const float *y, int d, double *g, float exaggeration,
                                                       long first, long end) {
    const int three = d == 3;
    for (long i = first; i < end; i++) {
        const float *base = y + d * i;
        const float xi = base[0], yi = base[1], zi = three ? base[2] : 0;
        v8 fx = {0}, fy = {0}, fz = {0};
        long e = start[i];
        const long stop = start[i + 1];
        for (; e + 8 <= stop; e += 8) {
            v8 xj, yj, zj = {0};
            for (int l = 0; l < 8; l++) {
                const float *other = y + (long)d * columns[e + l];
                xj[l] = other[0];
                yj[l] = other[1];
                if (three) zj[l] = other[2];
            }
            const v8 dx = xi - xj, dy = yi - yj, dz = zi - zj;
            const v8 w = 1 / (1 + dx * dx + dy * dy + dz * dz);
            const v8 strength = load8(values + e) * w * exaggeration;
            fx = fx + strength * dx;
            fy = fy + strength * dy;
            fz = fz + strength * dz;
        }
        double sx = 0, sy = 0, sz = 0;
        for (int l = 0; l < 8; l++) { sx += fx[l]; sy += fy[l]; sz += fz[l]; }
        for (; e < stop; e++) {
            const float *other = y + (long)d * columns[e];
            const float dx = xi - other[0], dy = yi - other[1], dz = three ? zi - other[2] : 0;
            const float strength = values[e] * exaggeration / (1 + dx * dx + dy * dy + dz * dz);
            sx += strength * dx;
            sy += strength * dy;
            sz += strength * dz;
        }
        g[d * i] += sx;
        g[d * i + 1] += sy;
        if (three) g[d * i + 2] += sz;
    }
}

CLONES
void embedviz_tsne_attraction(const long *start, const int *columns, const float *values, const float *y, int d,
                              double *g, float exaggeration, long first, long end) {
    // Literal dimensions, so that each loop is specialised.
    if (d == 2) rows(start, columns, values, y, 2, g, exaggeration, first, end);
    else rows(start, columns, values, y, 3, g, exaggeration, first, end);
}
