// One round of UMAP's SGD over a range of heads (Sources/Projection/UMAP/LayoutSGD.swift documents
// the schedule, the snapshot and the determinism; this is its inner loop). In Swift, built for
// baseline x86-64, the 8 negative samples' x^y were two SSE halves through an out-of-line call and
// the loop spent its time moving lanes through memory; here it is compiled per instruction set
// (clones.h), unfused, with the same operations in the same order in every clone, so every CPU
// computes the same map.
#include "CSupport.h"
#include "clones.h"
#include <stdint.h>
#include <string.h>

typedef float v8 __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

#define ROUNDING_SHIFT 12582912.0f  // 1.5·2²³: t + this rounds |t| < 2²² to an integer in the low bits

static inline uint32_t bits_of(float x) { uint32_t b; memcpy(&b, &x, 4); return b; }
static inline float float_of(uint32_t b) { float x; memcpy(&x, &b, 4); return x; }

// x^y = 2^(y·log₂ x) for x > 0 (LayoutSGD.swift's `power` documents the series and the error bound).
static inline float power1(float x, float y) {
    uint32_t bits = bits_of(x);
    int32_t e = (int32_t)((bits >> 23) & 0xFF) - 127;
    if (e == -127) {  // subnormal: scale into the normal range first
        bits = bits_of(x * 0x1p23f);
        e = (int32_t)((bits >> 23) & 0xFF) - 127 - 23;
    }
    float m = float_of((bits & 0x007FFFFF) | 0x3F800000);  // [1, 2)
    int high = m > 1.41421356f;
    m = high ? m * 0.5f : m;
    e = high ? e + 1 : e;
    float s = (m - 1) / (m + 1), s2 = s * s;
    float lnM = 2 * s * (1 + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7))));
    float t = y * ((float)e + lnM * 1.44269504f);
    float clamped = t < -126 ? -126 : (t > 126 ? 126 : t);
    float biased = clamped + ROUNDING_SHIFT;
    float i = biased - ROUNDING_SHIFT, f = (clamped - i) * 0.693147181f;
    float ef = 1 + f * (1 + f * (1.0f / 2 + f * (1.0f / 6 + f * (1.0f / 24 + f * (1.0f / 120 + f * (1.0f / 720))))));
    return ef * float_of((bits_of(biased) - bits_of(ROUNDING_SHIFT) + 127) << 23);
}

// The same, lane by lane, for normal positive lanes (no subnormal scaling): each lane equals power1.
// (Vectors by pointer: a 32-byte vector argument's ABI differs between the clones.)
static inline __attribute__((always_inline)) void power8(const v8 *x, float y, v8 *out) {
    v8i bits = (v8i)*x;
    v8i e = ((bits >> 23) & 0xFF) - 127;
    v8 m = (v8)((bits & 0x007FFFFF) | 0x3F800000);
    v8i high = m > 1.41421356f;
    m = (v8)(((v8i)m & ~high) | ((v8i)(m * 0.5f) & high));
    e = e + (high & 1);
    v8 s = (m - 1) / (m + 1), s2 = s * s;
    v8 lnM = 2 * s * (1 + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7))));
    v8 t = y * (__builtin_convertvector(e, v8) + lnM * 1.44269504f);
    v8i low = t < -126, above = t > 126;
    v8 clamped = (v8)(((v8i)t & ~(low | above)) | ((v8i)((v8){0} - 126) & low) | ((v8i)((v8){0} + 126) & above));
    v8 biased = clamped + ROUNDING_SHIFT;
    v8 i = biased - ROUNDING_SHIFT, f = (clamped - i) * 0.693147181f;
    v8 ef = 1 + f * (1 + f * (1.0f / 2 + f * (1.0f / 6 + f * (1.0f / 24 + f * (1.0f / 120 + f * (1.0f / 720))))));
    v8i scale = ((v8i)biased - (int32_t)bits_of(ROUNDING_SHIFT) + 127) << 23;
    *out = ef * (v8)scale;
}

CLONES
float embedviz_umap_power(float x, float y) { return power1(x, y); }

CLONES
void embedviz_umap_power8(const float *x, float y, float *out) {
    v8 lanes;
    memcpy(&lanes, x, sizeof lanes);
    v8 p;
    power8(&lanes, y, &p);
    memcpy(out, &p, sizeof p);
}

// SplitMix64's finaliser (LayoutSGD.mix).
static inline uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline float clip(float v) { return v < -4 ? -4 : (v > 4 ? 4 : v); }

#define GOLDEN 0x9E3779B97F4A7C15ull  // the streams' step (SplitMix64's Weyl sequence)

// What every edge of a round shares.
typedef struct {
    float a, b, epoch, step, rate, attractionStep, attractionScale, repulsionScale;
    int fit;
    uint64_t tailCount;
} sgd_constants;

// The negative samples a sampled edge draws now (umap-learn's fractional schedule).
static inline long negatives_due(const embedviz_umap_edge *edge, float epoch, float rate) {
    if (!(rate > 0)) return 0;
    float due = (epoch - edge->nextNegative) / (edge->period / rate);
    return due > 0 ? (long)due : 0;
}

// The point a stream value draws: uniform in [0, count) (Lemire's multiply-shift).
static inline long sample_of(uint64_t stream, uint64_t count) { return (long)(((mix(stream) >> 32) * count) >> 32); }

// One sampled edge of head j (W floats per point: 2 for 1-D and 2-D maps, 4 for 3-D, the unused ones zero,
// and they stay zero): its attraction and its `negatives` negative samples drawn from `*stream`, all
// evaluated at the head's position before the edge; moves `current` and advances the edge's schedule.
static inline __attribute__((always_inline)) void sample_edge(const sgd_constants *k, int W, long j,
        embedviz_umap_edge *restrict slot, const float *restrict others, long negatives, uint64_t *stream,
        float current[4]) {
    float lanesD2[8], lanesDelta[8][4], position[4];
    embedviz_umap_edge edge = *slot;
    for (int c = 0; c < W; c++) position[c] = current[c];
    const float *t = others + (long)edge.tail * W;
    float delta[4], d2 = 0;
    for (int c = 0; c < W; c++) { delta[c] = position[c] - t[c]; d2 += delta[c] * delta[c]; }
    if (d2 > 0) {
        float q = power1(d2, k->b);
        float coefficient = k->attractionScale * q / (d2 * (k->a * q + 1));
        for (int c = 0; c < W; c++) current[c] += clip(coefficient * delta[c]) * k->attractionStep;
    }
    edge.nextSample += edge.period;
    if (k->rate > 0) {
        float perNegative = edge.period / k->rate;
        for (long drawn = 0; drawn < negatives;) {
            int lanes = negatives - drawn < 8 ? (int)(negatives - drawn) : 8;
            for (int l = 0; l < 8; l++) lanesD2[l] = 0;
            for (int l = 0; l < lanes; l++) {
                *stream += GOLDEN;
                long s = sample_of(*stream, k->tailCount);
                if (k->fit && s == j) continue;
                const float *o = others + s * W;
                float sum = 0;
                for (int c = 0; c < W; c++) {
                    lanesDelta[l][c] = position[c] - o[c];
                    sum += lanesDelta[l][c] * lanesDelta[l][c];
                }
                lanesD2[l] = sum;
            }
            drawn += lanes;
            v8 d2v;
            memcpy(&d2v, lanesD2, sizeof d2v);
            v8i tiny = d2v < 0x1p-126f;
            v8 safe = (v8)(((v8i)d2v & ~tiny) | ((v8i)((v8){0} + 1) & tiny));
            v8 q;
            power8(&safe, k->b, &q);
            v8 coefficient = k->repulsionScale / ((0.001f + d2v) * (k->a * q + 1));
            // Keeps the 8 lanes one vector computation: without it the compiler sinks the x^y
            // series into the loop below and evaluates it lane by lane, in scalar.
            __asm__("" : "+m"(coefficient));
            float push[4] = {0, 0, 0, 0};
            for (int l = 0; l < lanes; l++) {
                if (!(lanesD2[l] > 0)) continue;
                for (int c = 0; c < W; c++) push[c] += clip(coefficient[l] * lanesDelta[l][c]);
            }
            for (int c = 0; c < W; c++) current[c] += push[c] * k->step;
        }
        edge.nextNegative += (float)negatives * perNegative;
    }
    *slot = edge;
}

// Heads [first, end) in order, each from its own stream.
static inline __attribute__((always_inline)) void round_width(const sgd_constants *k, int W, uint64_t streamKey,
        uint64_t streamEpoch, const long *restrict start, embedviz_umap_edge *restrict schedule,
        const float *restrict others, float *restrict y, long first, long end) {
    for (long j = first; j < end; j++) {
        float current[4] = {0, 0, 0, 0};
        for (int c = 0; c < W; c++) current[c] = y[j * W + c];
        uint64_t stream = mix(streamKey ^ (streamEpoch << 40 | (uint64_t)j));
        for (long e = start[j]; e < start[j + 1]; e++) {
            if (!(schedule[e].nextSample <= k->epoch)) continue;
            sample_edge(k, W, j, schedule + e, others, negatives_due(schedule + e, k->epoch, k->rate), &stream, current);
        }
        for (int c = 0; c < W; c++) y[j * W + c] = current[c];
    }
}

// The same round for maps beyond the cache. Their reads of other points (tails, negative samples)
// are misses at random, and depend only on the schedule and the heads' streams, not on positions:
// a cursor walks the sampled edges AHEAD ahead of the update, draws their sample indices (advancing
// each head's stream as the update will, by the step times the count) and prefetches them; the update
// redraws them from the stream value saved with the edge. The same operations on the same values in
// the same order as `round_width` (clones_check.c runs both). A C harness of this round over a random
// 1M-point graph, one thread, 4 or 16 edges ahead: 7.4–7.9 → 3.1–3.5 s for 4 epochs; at 70k (in cache) a
// walk 4 ahead cost 6.2 → 7.1 s of a fit's SGD and at 250k nothing moved, hence the size from which it
// is used.
#define AHEAD 16
#define PREFETCHED 8  // negative samples prefetched per edge
typedef struct {
    long head, edge, negatives;
    uint64_t stream;
} pending_edge;

static inline __attribute__((always_inline)) void round_width_ahead(const sgd_constants *k, int W, uint64_t streamKey,
        uint64_t streamEpoch, const long *restrict start, embedviz_umap_edge *restrict schedule,
        const float *restrict others, float *restrict y, long first, long end) {
    if (first >= end) return;
    long cursorHead = first, cursorEdge = start[first];
    uint64_t cursorStream = mix(streamKey ^ (streamEpoch << 40 | (uint64_t)first));
    pending_edge ring[AHEAD];
    long prepared = 0, processed = 0;
    int exhausted = 0;
    // Finds the next sampled edge, prefetches its reads and queues it.
    #define PREPARE() do { \
        while (!exhausted) { \
            if (cursorEdge >= start[cursorHead + 1]) { \
                if (++cursorHead >= end) { exhausted = 1; break; } \
                cursorEdge = start[cursorHead]; \
                cursorStream = mix(streamKey ^ (streamEpoch << 40 | (uint64_t)cursorHead)); \
                continue; \
            } \
            const embedviz_umap_edge *ce = schedule + cursorEdge; \
            if (!(ce->nextSample <= k->epoch)) { cursorEdge++; continue; } \
            long n = negatives_due(ce, k->epoch, k->rate); \
            __builtin_prefetch(others + (long)ce->tail * W); \
            uint64_t st = cursorStream; \
            for (long l = 0; l < n && l < PREFETCHED; l++) { \
                st += GOLDEN; \
                __builtin_prefetch(others + sample_of(st, k->tailCount) * W); \
            } \
            ring[prepared % AHEAD] = (pending_edge){cursorHead, cursorEdge, n, cursorStream}; \
            cursorStream += (uint64_t)n * GOLDEN; \
            cursorEdge++; \
            prepared++; \
            break; \
        } \
    } while (0)
    for (int l = 0; l < AHEAD; l++) PREPARE();
    long j = -1;  // the head whose position is in `current`
    float current[4] = {0, 0, 0, 0};
    while (processed < prepared) {
        pending_edge work = ring[processed % AHEAD];
        processed++;
        PREPARE();
        if (work.head != j) {
            if (j >= 0) for (int c = 0; c < W; c++) y[j * W + c] = current[c];
            j = work.head;
            for (int c = 0; c < W; c++) current[c] = y[j * W + c];
        }
        uint64_t stream = work.stream;
        sample_edge(k, W, j, schedule + work.edge, others, work.negatives, &stream, current);
    }
    if (j >= 0) for (int c = 0; c < W; c++) y[j * W + c] = current[c];
    #undef PREPARE
}

CLONES
void embedviz_umap_sgd_round(const embedviz_umap_round *p, const long *start, embedviz_umap_edge *schedule,
                             const float *others, float *y, long first, long end) {
    const sgd_constants k = {p->a, p->b, p->epoch, p->step, p->rate, p->moves * p->step, p->attractionScale,
                             p->repulsionScale, p->fit, (uint64_t)p->tailCount};
    // The look-ahead from a 2 MB map of other points on (262,144 points in 1-D or 2-D).
    int ahead = p->lookAhead >= 0 ? p->lookAhead : (long)p->tailCount * p->width * 4 > (2l << 20);
    if (p->width == 4) {
        if (ahead) round_width_ahead(&k, 4, p->streamKey, p->streamEpoch, start, schedule, others, y, first, end);
        else round_width(&k, 4, p->streamKey, p->streamEpoch, start, schedule, others, y, first, end);
    } else {
        if (ahead) round_width_ahead(&k, 2, p->streamKey, p->streamEpoch, start, schedule, others, y, first, end);
        else round_width(&k, 2, p->streamKey, p->streamEpoch, start, schedule, others, y, first, end);
    }
}
