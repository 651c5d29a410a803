// A plain C interface to hnswlib's HNSW index (Malkov & Yashunin 2018, "Efficient and robust
// approximate nearest neighbor search using Hierarchical Navigable Small World graphs"), for Swift.
// Squared Euclidean distances on float32 rows; cosine is the caller's business (normalised rows).
//
// Thread safety: `embedviz_hnsw_set_ef` needs exclusive access; any number of `embedviz_hnsw_search`
// calls may run at once on one index (each is single-threaded: callers split the queries), and so
// may `embedviz_hnsw_add` calls on disjoint labels once the first point is in (hnswlib locks each
// element it links), but then the graph depends on how the insertions interleave.
// Errors: functions that can fail return 0 on success and write a message into `error`
// (`error_capacity` bytes, NUL-terminated); hnswlib reports them as C++ exceptions, caught here.
#ifndef EMBEDVIZ_HNSW_SHIM_H
#define EMBEDVIZ_HNSW_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct embedviz_hnsw embedviz_hnsw;

/// An empty index for up to `capacity` points of `dimensions` floats. `m`: links per point and
/// layer (2·m on the bottom layer); `ef_construction`: candidate list length while inserting;
/// `seed`: seeds the random layer assignment. NULL on failure (message in `error`).
embedviz_hnsw *embedviz_hnsw_create(size_t dimensions, size_t capacity, size_t m, size_t ef_construction,
                                    uint64_t seed, char *error, size_t error_capacity);

void embedviz_hnsw_free(embedviz_hnsw *index);

/// Inserts `count` rows (row-major, `dimensions` floats each) one after another, in order, labelled
/// `first_label`, `first_label + 1`, …: inserted by one thread, the graph depends only on the rows,
/// their order, m, ef_construction and the seed.
int embedviz_hnsw_add(embedviz_hnsw *index, const float *rows, size_t count, size_t first_label,
                      char *error, size_t error_capacity);

/// The candidate list length of searches (at least k is used).
void embedviz_hnsw_set_ef(embedviz_hnsw *index, size_t ef);

/// For each of `count` query rows, the `k` nearest inserted points, nearest first, ties by label
/// (`labels` and `distances` are count×k, row-major; squared Euclidean distances). When
/// `self_labels` is non-zero, query r is the inserted point `first_self_label + r`: the bottom layer
/// is searched from that point itself (not from the entry point, whose greedy descent can end in
/// another cluster), with ef ≥ k + 1, and the point is left out of its own list. Entries a search could not fill (fewer points than k)
/// are label −1, distance +∞.
int embedviz_hnsw_search(const embedviz_hnsw *index, const float *queries, size_t count, size_t k,
                         int self_labels, size_t first_self_label, int32_t *labels, float *distances,
                         char *error, size_t error_capacity);

#ifdef __cplusplus
}
#endif

#endif
