// The Barnes–Hut repulsion's inner sum over one point's interaction list (see
// Sources/Projection/TSNE/BarnesHut.swift, InteractionList.sum). In the Swift build (baseline
// x86-64) its 8-lane vectors were pairs of SSE registers; here the loop is compiled for AVX-512,
// AVX2 and baseline (clones.h) with the same 8-lane arithmetic, unfused, in every clone, so the
// sums are the same bits on every CPU.
#include "CSupport.h"
#include "clones.h"
#include <string.h>

typedef float v8 __attribute__((vector_size(32)));

#define load8(p) ({ v8 loaded_; memcpy(&loaded_, (p), sizeof loaded_); loaded_; })

CLONES
double embedviz_bh_sum(const float *x, const float *y, const float *z, const float *mass, long count, float px,
                       float py, float pz, double force[3]) {
    v8 fx = {0}, fy = {0}, fz = {0}, zs = {0};
    for (long e = 0; e < count; e += 8) {
        v8 dx = px - load8(x + e), dy = py - load8(y + e), dz = pz - load8(z + e), m = load8(mass + e);
        v8 w = 1 / (1 + dx * dx + dy * dy + dz * dz);
        v8 mw = m * w;
        zs = zs + mw;
        v8 mw2 = mw * w;
        fx = fx + mw2 * dx;
        fy = fy + mw2 * dy;
        fz = fz + mw2 * dz;
    }
    double sx = 0, sy = 0, sz = 0, sw = 0;
    for (int l = 0; l < 8; l++) { sx += fx[l]; sy += fy[l]; sz += fz[l]; sw += zs[l]; }
    force[0] = sx;
    force[1] = sy;
    force[2] = sz;
    return sw;
}
