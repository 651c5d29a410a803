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

// The tree walk that makes a group's interaction list (BarnesHut.swift, `collect(box:…)`, which
// documents the criterion and the exclusion). In Swift it was 36% of a 10k 2-D t-SNE: a 48-byte node
// copied per visit and a capacity check per append. Only compares, subtractions and one sum of four
// squares in a fixed order: every clone accepts the same cells.
CLONES
long embedviz_bh_collect(const embedviz_bh_node *nodes, const embedviz_float4 *sorted, embedviz_float4 low,
                         embedviz_float4 high, int firstMember, int endMember, float thetaSquared, float *x, float *y,
                         float *z, float *mass, long capacity, int *stack) {
    long count = 0;
    int top = 1;
    stack[0] = 0;
    while (top > 0) {
        const embedviz_bh_node *node = nodes + stack[--top];
        if (node->count == 0) continue;
        if (node->childCount == 0) {
            if (count + node->count + 8 > capacity) return -1;
            for (int e = node->pointStart; e < node->pointStart + node->count; e++) {
                embedviz_float4 p = sorted[e];
                x[count] = p.x; y[count] = p.y; z[count] = p.z; mass[count] = 1;
                count++;
            }
            continue;
        }
        // Squared distance from the centre of mass to the box (0 inside it); unused lanes are 0.
        embedviz_float4 c = node->centreOfMass, below = low - c, above = c - high;
        float distanceSquared = 0;
        for (int k = 0; k < 4; k++) {
            float o = above[k] > below[k] ? above[k] : below[k];
            o = o > 0 ? o : 0;
            distanceSquared += o * o;
        }
        int holdsMember = node->pointStart < endMember && firstMember < node->pointStart + node->count;
        if (node->sideSquared < thetaSquared * distanceSquared && !holdsMember) {
            if (count + 8 > capacity) return -1;
            x[count] = c.x; y[count] = c.y; z[count] = c.z; mass[count] = (float)node->count;
            count++;
        } else {
            for (int k = 0; k < node->childCount; k++) stack[top++] = node->firstChild + k;
        }
    }
    for (long l = count; l < (count + 7) / 8 * 8; l++) x[l] = y[l] = z[l] = mass[l] = 0;
    return count;
}
