// The C interface of hnsw_shim.h over hnswlib (header-only; Debian libhnswlib-dev 0.6.2).
//
// hnswlib picks its distance kernel at compile time from the target's instruction sets; this file
// is built for the default x86-64 target (portable), so the SSE kernel is used: a -march=native
// build (AVX-512) was no faster on 70,000 × 50, k = 90 (build + query 6.7 + 6.8 s vs 5.3 + 5.2 s,
// within the noise of a shared machine: at 50 dimensions memory access dominates). hnswlib.h
// defines non-inline functions, so it is included in this one translation unit only.
#include "hnsw_shim.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

struct embedviz_hnsw {
    hnswlib::L2Space space;
    hnswlib::HierarchicalNSW<float> graph;
    size_t dimensions;
    embedviz_hnsw(size_t dimensions, size_t capacity, size_t m, size_t ef_construction, uint64_t seed)
        : space(dimensions), graph(&space, capacity, m, ef_construction, static_cast<size_t>(seed)),
          dimensions(dimensions) {}
};

namespace {
void report(char *error, size_t capacity, const char *what) {
    if (error && capacity > 0) std::snprintf(error, capacity, "%s", what);
}

template <class Body> int guarded(char *error, size_t capacity, Body body) {
    try {
        body();
        return 0;
    } catch (const std::bad_alloc &) {
        report(error, capacity, "hnswlib: out of memory");
    } catch (const std::exception &e) {
        report(error, capacity, e.what());
    } catch (...) {
        report(error, capacity, "hnswlib: unknown error");
    }
    return 1;
}
}  // namespace

extern "C" embedviz_hnsw *embedviz_hnsw_create(size_t dimensions, size_t capacity, size_t m, size_t ef_construction,
                                               uint64_t seed, char *error, size_t error_capacity) {
    embedviz_hnsw *index = nullptr;
    if (dimensions == 0 || capacity == 0 || m < 2 || ef_construction == 0) {
        report(error, error_capacity, "hnswlib: dimensions, capacity and ef_construction must be positive and m at least 2");
        return nullptr;
    }
    guarded(error, error_capacity, [&] { index = new embedviz_hnsw(dimensions, capacity, m, ef_construction, seed); });
    return index;
}

extern "C" void embedviz_hnsw_free(embedviz_hnsw *index) { delete index; }

extern "C" int embedviz_hnsw_add(embedviz_hnsw *index, const float *rows, size_t count, size_t first_label,
                                 char *error, size_t error_capacity) {
    return guarded(error, error_capacity, [&] {
        for (size_t r = 0; r < count; r++) index->graph.addPoint(rows + r * index->dimensions, first_label + r);
    });
}

extern "C" void embedviz_hnsw_set_ef(embedviz_hnsw *index, size_t ef) { index->graph.setEf(std::max<size_t>(ef, 1)); }

extern "C" int embedviz_hnsw_search(const embedviz_hnsw *index, const float *queries, size_t count, size_t k,
                                    int self_labels, size_t first_self_label, int32_t *labels, float *distances,
                                    char *error, size_t error_capacity) {
    return guarded(error, error_capacity, [&] {
        std::vector<std::pair<float, size_t>> found;
        const size_t wanted = k + (self_labels ? 1 : 0);
        auto &graph = index->graph;
        for (size_t r = 0; r < count; r++) {
            const float *query = queries + r * index->dimensions;
            found.clear();
            if (self_labels) {
                // The query is a point of the graph: search the bottom layer from the point itself
                // instead of descending from the entry point. On well-separated clusters the descent
                // can end in another cluster, and the search then returns none of the true
                // neighbours (measured: 1 in 1,000 rows of a 200-cluster mixture of 200,000 points
                // at ef 135, ~2% at 1,000,000); starting at the point cannot miss its cluster.
                const size_t label = first_self_label + r;
                const auto self = graph.label_lookup_.find(label);
                if (self == graph.label_lookup_.end()) throw std::runtime_error("a query's own point is not in the graph");
                auto heap = graph.searchBaseLayerST<false>(self->second, query, std::max(graph.ef_, wanted));
                while (!heap.empty()) {
                    const size_t neighbour = graph.getExternalLabel(heap.top().second);
                    if (neighbour != label) found.emplace_back(heap.top().first, neighbour);
                    heap.pop();
                }
            } else {
                auto heap = graph.searchKnn(query, wanted);
                while (!heap.empty()) {
                    found.push_back(heap.top());
                    heap.pop();
                }
            }
            // Nearest first, equal distances by label (as the exact search orders them); without
            // self in the result (it was missed, or k + 1 duplicates tie at 0) the farthest goes.
            std::sort(found.begin(), found.end());
            if (found.size() > k) found.resize(k);
            int32_t *outLabel = labels + r * k;
            float *outDistance = distances + r * k;
            for (size_t j = 0; j < k; j++) {
                outLabel[j] = j < found.size() ? static_cast<int32_t>(found[j].second) : -1;
                outDistance[j] = j < found.size() ? found[j].first : std::numeric_limits<float>::infinity();
            }
        }
    });
}
