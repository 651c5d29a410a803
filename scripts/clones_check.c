// Runs the C kernels that are compiled once per instruction set (Sources/CSupport: the CNN's fused
// first block, Adam, the Barnes–Hut sum and walk, listed distances, UMAP's SGD round with and without its look-ahead, x^y, and t-SNE's attraction) on fixed pseudo-random inputs and prints a checksum of every output's bits.
// scripts/test_clones.sh builds it for baseline x86-64, AVX2 and AVX-512 and compares the lines:
// the kernels promise the same bits on every CPU.
#include "CSupport.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

static uint64_t state = 88172645463325252ull;
static float uniform(void) {  // xorshift64, [-1, 1)
    state ^= state << 13; state ^= state >> 7; state ^= state << 17;
    return (float)((state >> 40) * (1.0 / (1 << 23)) - 1.0);
}
static uint64_t hash(const void *p, size_t bytes) {  // FNV-1a
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < bytes; i++) h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
    return h;
}

int main(void) {
    enum { B = 5, PLANE = 169 };
    float *input = malloc(sizeof(float) * B * 784), *split = malloc(sizeof(float) * (B * 28 * 32 + 16));
    for (int i = 0; i < B * 784; i++) input[i] = uniform() > 0 ? uniform() + 1 : 0;  // sparse, like digits
    float w[9], bias = 0.1f;
    for (int k = 0; k < 9; k++) w[k] = 0.3f * uniform();
    embedviz_block_split(input, B, split);
    printf("split %016llx\n", (unsigned long long)hash(split, sizeof(float) * (B * 28 * 32 + 16)));
    double squares = embedviz_block_centred_squares(split, B, w, bias, 0.05f);
    printf("centred squares %016llx\n", (unsigned long long)hash(&squares, sizeof squares));
    float pooled[B * 200], xHat[B * PLANE], dPooled[B * PLANE], dX[B * 676];
    unsigned char argmax[B * PLANE];
    memset(pooled, 0, sizeof pooled);
    embedviz_block_forward(split, B, w, bias, 0.05f, 1.7f, 0.9f, 0.02f, pooled, 200, argmax, xHat);
    printf("forward %016llx %016llx %016llx\n", (unsigned long long)hash(pooled, sizeof pooled),
           (unsigned long long)hash(argmax, sizeof argmax), (unsigned long long)hash(xHat, sizeof xHat));
    for (int i = 0; i < B * PLANE; i++) dPooled[i] = uniform() > 0.5f ? uniform() : 0;
    double gradient[10];
    embedviz_block_backward(split, B, w, bias, 0.05f, 1.7f, 1.53f, 0.01f, -0.02f, dPooled, argmax, gradient, dX);
    printf("backward %016llx %016llx\n", (unsigned long long)hash(gradient, sizeof gradient),
           (unsigned long long)hash(dX, sizeof dX));
    enum { N = 1000 };
    float p[N], m[N], v[N], g0[N], g1[N];
    for (int i = 0; i < N; i++) { p[i] = uniform(); m[i] = 0.1f * uniform(); v[i] = 0.01f * (uniform() + 1); g0[i] = uniform(); g1[i] = uniform(); }
    const float *parts[2] = {g0, g1};
    embedviz_adam_update(p, parts, 1, m, v, 3, N - 5, 1e-3f, 1.2f, 0.9f, 0.999f, 1e-8f);
    embedviz_adam_update(p, parts, 2, m, v, 0, N, 1e-3f, 1.2f, 0.9f, 0.999f, 1e-8f);
    printf("adam %016llx %016llx %016llx\n", (unsigned long long)hash(p, sizeof p), (unsigned long long)hash(m, sizeof m),
           (unsigned long long)hash(v, sizeof v));
    enum { L = 64 };
    float bx[L], by[L], bz[L], bm[L];
    for (int i = 0; i < L; i++) { bx[i] = 3 * uniform(); by[i] = 3 * uniform(); bz[i] = uniform(); bm[i] = uniform() + 1; }
    double f[3], zsum = embedviz_bh_sum(bx, by, bz, bm, L, 0.3f, -0.2f, 0.1f, f);
    printf("barnes-hut %016llx %016llx\n", (unsigned long long)hash(f, sizeof f), (unsigned long long)hash(&zsum, sizeof zsum));
    // A tree over 64 points in a 3-D cube: the root, eight cells of eight one-point leaves (slots 8c…8c+7),
    // walked for boxes at several distances: which cells are accepted must not depend on the clone.
    enum { P = 64 };
    embedviz_float4 points[P];
    embedviz_bh_node nodes[9 + P];
    memset(nodes, 0, sizeof nodes);
    for (int c = 0; c < 8; c++) {
        embedviz_float4 sum = {0, 0, 0, 0};
        for (int e = 8 * c; e < 8 * c + 8; e++) {
            embedviz_float4 q = {(c & 1) + 0.5f * (uniform() + 1), (c >> 1 & 1) + 0.5f * (uniform() + 1), (c >> 2) + 0.5f * (uniform() + 1), 0};
            points[e] = q;
            nodes[9 + e] = (embedviz_bh_node){q, 0.01f, 1, 0, 0, e};
            sum += q;
        }
        nodes[1 + c] = (embedviz_bh_node){sum / 8, 1, 8, 9 + 8 * c, 8, 8 * c};
        nodes[0].centreOfMass += sum / P;
    }
    nodes[0].sideSquared = 4;
    nodes[0].count = P;
    nodes[0].firstChild = 1;
    nodes[0].childCount = 8;
    float lx[P + 8], ly[P + 8], lz[P + 8], lm[P + 8];
    int stack[512];
    uint64_t walks = 1469598103934665603ull;
    for (int t = 0; t < 40; t++) {
        float offset = 0.2f * t;
        embedviz_float4 low = {uniform() + offset, uniform(), uniform(), 0}, high = low + (embedviz_float4){0.3f, 0.2f, 0.1f, 0};
        memset(lx, 0, sizeof lx); memset(ly, 0, sizeof ly); memset(lz, 0, sizeof lz); memset(lm, 0, sizeof lm);
        long count = embedviz_bh_collect(nodes, points, low, high, t % 3 ? 0 : 8, t % 3 ? 0 : 16, 0.02f * t, lx, ly, lz, lm, P + 8, stack);
        walks ^= hash(&count, sizeof count) + 31 * hash(lx, sizeof lx) + 17 * hash(lm, sizeof lm) + hash(lz, sizeof lz);
    }
    printf("barnes-hut walk %016llx\n", (unsigned long long)walks);

    // Listed distances: 784 columns (no tail) and 45 (a 13-column tail), 37 listed rows of 50.
    enum { ROWS = 50, LISTED = 37 };
    static float base[ROWS * 784], query[784], listed[LISTED];
    int list[LISTED];
    for (int i = 0; i < ROWS * 784; i++) base[i] = uniform();
    for (int j = 0; j < 784; j++) query[j] = uniform();
    for (int c = 0; c < LISTED; c++) list[c] = (c * 17 + 3) % ROWS;
    uint64_t listedHash = 0;
    for (int pass = 0; pass < 2; pass++) {
        long d = pass ? 45 : 784;
        embedviz_listed_squared_distances(query, base, d, list, LISTED, listed);
        listedHash = 31 * listedHash + hash(listed, sizeof listed);
    }
    printf("listed distances %016llx\n", (unsigned long long)listedHash);

    // UMAP's SGD: 300 points with 12 edges each to random tails, periods 1–8, 2-D and 3-D (widths 2, 4),
    // a fit (the map its own tail) and a transform (fixed tails), 30 epochs of one round; and x^y.
    enum { POINTS = 300, EDGES = 12 };
    static long start[POINTS + 1];
    static embedviz_umap_edge schedule[POINTS * EDGES];
    static float others[POINTS * 4], map[POINTS * 4];
    uint64_t sgdHashes[2] = {0, 0}, sgdState = state, afterState = 0;
    for (int ahead = 0; ahead < 2; ahead++, afterState = state, state = sgdState)  // the same inputs for both
    for (int width = 2; width <= 4; width += 2) {
        for (int fit = 0; fit < 2; fit++) {
            for (int i = 0; i < POINTS; i++) start[i] = (long)i * EDGES;
            start[POINTS] = (long)POINTS * EDGES;
            for (int e = 0; e < POINTS * EDGES; e++) {
                float period = 1 + 7 * (uniform() + 1) / 2;
                schedule[e] = (embedviz_umap_edge){(int)((uniform() + 1) / 2 * (POINTS - 1)), period, period, period / 5};
            }
            for (int i = 0; i < POINTS * 4; i++) map[i] = others[i] = (i % 4) < (width == 2 ? 2 : 3) ? 10 * uniform() : 0;
            for (int n = 0; n < 30; n++) {
                embedviz_umap_round round = {1.5769f, 0.8951f, -2 * 1.5769f * 0.8951f, 2 * 0.8951f, fit ? 2 : 1, 5, (float)n,
                                             1.0f - n / 30.0f, POINTS, fit, width, 0x1234567ull, (unsigned long long)n, ahead};
                if (fit) memcpy(others, map, sizeof map);
                embedviz_umap_sgd_round(&round, start, schedule, others, map, 0, POINTS);
            }
            sgdHashes[ahead] = 31 * (31 * sgdHashes[ahead] + hash(map, sizeof map)) + hash(schedule, sizeof schedule);
        }
    }
    state = afterState;

    float powers[8 * 64];
    for (int i = 0; i < 64; i++) {
        float x[8];
        for (int l = 0; l < 8; l++) x[l] = powf(10, 8 * uniform());
        embedviz_umap_power8(x, 0.5f + (i % 5) * 0.25f, powers + 8 * i);
        powers[8 * i] = embedviz_umap_power(x[0] * 1e-36f, 0.8951f);  // subnormal in the scalar form
    }
    // The round with the look-ahead (prefetching) must compute what the plain round computes.
    if (sgdHashes[0] != sgdHashes[1]) {
        fprintf(stderr, "umap sgd: the look-ahead round differs from the plain one\n");
        return 1;
    }
    uint64_t sgdHash = sgdHashes[0];
    printf("umap sgd %016llx power %016llx\n", (unsigned long long)sgdHash, (unsigned long long)hash(powers, sizeof powers));

    // t-SNE's attraction: 200 points, rows of 0–20 neighbours (full lanes and tails), 2-D and 3-D.
    enum { TPOINTS = 200 };
    static long tstart[TPOINTS + 1];
    static int tcolumns[TPOINTS * 20];
    static float tvalues[TPOINTS * 20], ty[TPOINTS * 3];
    static double tg[TPOINTS * 3];
    uint64_t attractionHash = 0;
    for (int d = 2; d <= 3; d++) {
        long e = 0;
        for (int i = 0; i < TPOINTS; i++) {
            tstart[i] = e;
            int count = (i * 7) % 21;
            for (int c = 0; c < count; c++, e++) {
                tcolumns[e] = (int)((uniform() + 1) / 2 * (TPOINTS - 1));
                tvalues[e] = (uniform() + 1) * 1e-4f;
            }
        }
        tstart[TPOINTS] = e;
        for (int i = 0; i < TPOINTS * d; i++) { ty[i] = 20 * uniform(); tg[i] = uniform(); }
        embedviz_tsne_attraction(tstart, tcolumns, tvalues, ty, d, tg, 12, 0, TPOINTS);
        attractionHash = 31 * attractionHash + hash(tg, sizeof(double) * TPOINTS * d);
    }
    printf("tsne attraction %016llx\n", (unsigned long long)attractionHash);
    return 0;
}
