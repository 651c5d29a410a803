// Squared Euclidean distances from one query row to listed rows of a base matrix: the exact re-rank
// of candidate neighbours (Sources/Projection/Neighbours/ProjectedNeighbours.swift). Direct
// differences, not the BLAS identity ‖a‖² + ‖b‖² − 2a·b, so a near pair loses no precision to
// cancellation. Sixteen independent partial sums, summed in a fixed order at the end: the same
// arithmetic in every clone (clones.h), so the same bits on every CPU.
#include "CSupport.h"
#include "clones.h"
#include <string.h>

typedef float v16 __attribute__((vector_size(64)));

CLONES
void embedviz_listed_squared_distances(const float *query, const float *base, long d, const int *rows, long count,
                                       float *out) {
    const long whole = d & ~15L;
    for (long c = 0; c < count; c++) {
        const float *b = base + (long)rows[c] * d;
        v16 acc = {0};
        for (long j = 0; j < whole; j += 16) {
            v16 q, r;
            memcpy(&q, query + j, sizeof q);
            memcpy(&r, b + j, sizeof r);
            v16 diff = q - r;
            acc = acc + diff * diff;
        }
        float lanes[16];
        memcpy(lanes, &acc, sizeof lanes);
        for (long j = whole; j < d; j++) {
            float diff = query[j] - b[j];
            lanes[j - whole] += diff * diff;
        }
        float sum = 0;
        for (int l = 0; l < 16; l++) sum += lanes[l];
        out[c] = sum;
    }
}
