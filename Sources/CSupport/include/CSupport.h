#ifndef EMBEDVIZ_CSUPPORT_H
#define EMBEDVIZ_CSUPPORT_H

/// The kernel set OpenBLAS had chosen by itself before EmbedViz corrected it, or "" when OpenBLAS's
/// own choice was kept. See blas_core.c.
const char *embedviz_openblas_original_core(void);
/// OpenBLAS's thread count when the process started (see blas_core.c).
int embedviz_openblas_initial_threads(void);

/// The calling thread's floating-point control word (MXCSR on x86), and setting it. See float_mode.c.
unsigned int embedviz_get_float_mode(void);
void embedviz_set_float_mode(unsigned int mode);
/// The control word with flush-to-zero and denormals-are-zero added.
unsigned int embedviz_flushing_mode(unsigned int mode);

/// Whether the calling thread belongs to the BLAS section that owns OpenBLAS's thread count, and
/// setting it. See blas_section.c.
int embedviz_in_blas_section(void);
void embedviz_set_in_blas_section(int member);

/// A hint to the CPU that the caller is spinning (x86 `pause`), for short waits. See cpu_relax.c.
void embedviz_cpu_relax(void);

/// The tutorial CNN's first block (3×3 convolution, batch norm, ReLU, 2×2 max-pool, ReLU) as direct
/// convolutions of one output channel; the Swift side and the layout: ConvolutionBlock.swift. See
/// convolution_block.c.
/// `input` (B, 28, 28) → split rows (B, 28, [even 16 | odd 16]), plus 16 zeros.
void embedviz_block_split(const float *input, int batch, float *split);
/// Σ (x − mean)² over the channel's convolution maps of `batch` split images.
double embedviz_block_centred_squares(const float *split, int batch, const float *weight, float bias, float mean);
/// Convolution, batch norm, ReLU, max-pool, ReLU: image b's 13×13 pooled values to `pooled + b·stride`,
/// the window's winner (0–3) to `argmax + b·169` and its x̂ to `pooledXHat + b·169`.
void embedviz_block_forward(const float *split, int batch, const float *weight, float bias, float mean,
                            float inverseStd, float gamma, float beta, float *pooled, long stride,
                            unsigned char *argmax, float *pooledXHat);
/// The batch-norm input gradient from dy at the winners (`dPooled`, (B, 169)), and from it the
/// convolution's gradients: `gradient[0..<9]` taps, `gradient[9]` bias (overwritten). With `dX`, the
/// maps' gradient (B, 26, 26) too.
void embedviz_block_backward(const float *split, int batch, const float *weight, float bias, float mean,
                             float inverseStd, float scale, float meanDy, float meanDyXHat, const float *dPooled,
                             const unsigned char *argmax, double *gradient, float *dX);

/// Adam's update of parameters [begin, end) with g = Σ parts[k][i]; see adam.c and Adam.swift.
void embedviz_adam_update(float *p, const float *const *parts, int partCount, float *m, float *v, long begin,
                          long end, float stepSize, float inverseCorrection2, float beta1, float beta2, float epsilon);

/// Σ mass·w·w·(p − q) into `force` and Σ mass·w (returned) over `count` entries (a multiple of 8;
/// pad with zero mass and zero coordinates), w = 1 / (1 + ‖p − q‖²); see barnes_hut.c.
double embedviz_bh_sum(const float *x, const float *y, const float *z, const float *mass, long count, float px,
                       float py, float pz, double force[3]);

/// t-SNE's attraction for rows [first, end) of P (CSR: row i's non-zeros start[i] ..< start[i + 1]) on a
/// 2- or 3-D map `y` (Float, `d` per point): g[i] += exaggeration · Σⱼ pᵢⱼ wᵢⱼ (yᵢ − yⱼ), 8 non-zeros
/// at a time; see tsne_attraction.c.
void embedviz_tsne_attraction(const long *start, const int *columns, const float *values, const float *y, int d,
                              double *g, float exaggeration, long first, long end);

/// out[c] = ‖query − base[rows[c]]‖² for c < count, each row of `base` `d` floats (see distances.c).
void embedviz_listed_squared_distances(const float *query, const float *base, long d, const int *rows, long count,
                                       float *out);

/// A Barnes–Hut tree node (BarnesHut.swift's `Node`): the cell's centre of mass, its squared side
/// length, its point count, its children (consecutive, `childCount` of them from `firstChild`; none
/// for a leaf) and, for a leaf, where its points start in tree order.
typedef float embedviz_float4 __attribute__((ext_vector_type(4)));
typedef struct embedviz_bh_node {
    embedviz_float4 centreOfMass;
    float sideSquared;
    int count, firstChild, childCount, pointStart;
} embedviz_bh_node;

/// The interaction list of the box low…high (see BarnesHut.swift, `collect(box:…)`): walks the tree
/// from `nodes[0]`, writing accepted cells and the points of leaves that are not (their coordinates
/// and masses) to x, y, z, mass, zero-padded to a multiple of 8. Cells holding a point of tree-order
/// slots [firstMember, endMember) are never accepted. Returns the entries written (before padding),
/// or −1 when they would not fit in `capacity` (nothing usable written: grow and call again).
/// `stack` holds at least 512 node indices.
long embedviz_bh_collect(const embedviz_bh_node *nodes, const embedviz_float4 *sorted, embedviz_float4 low,
                         embedviz_float4 high, int firstMember, int endMember, float thetaSquared, float *x, float *y,
                         float *z, float *mass, long capacity, int *stack);

/// One edge of UMAP's SGD as the epochs go (LayoutSGD.swift): its tail, its sampling period (epochs
/// per sample) and the epochs of its next positive and negative samples.
typedef struct embedviz_umap_edge {
    int tail;
    float period, nextSample, nextNegative;
} embedviz_umap_edge;

/// What one round of the SGD needs besides the edges and positions (LayoutSGD.swift names them).
typedef struct embedviz_umap_round {
    float a, b, attractionScale, repulsionScale, moves, rate, epoch, step;
    long tailCount;
    int fit, width;  // fit: the map is its own tail (skip self as a negative sample); width: 2 or 4 floats per point
    unsigned long long streamKey, streamEpoch;
    int lookAhead;   // prefetch other points' reads ahead (the same map): 1, 0, or −1 to decide by the map's size
} embedviz_umap_round;

/// Heads [first, end) of one SGD round: head j's edges are schedule[start[j] ..< start[j + 1]],
/// positions `width` floats each, tails and negative samples read from `others`, heads written to
/// `y` (see umap_sgd.c and LayoutSGD.swift).
void embedviz_umap_sgd_round(const embedviz_umap_round *round, const long *start, embedviz_umap_edge *schedule,
                             const float *others, float *y, long first, long end);

/// The SGD's x^y (x > 0) and its 8-lane form for normal lanes, the same bits lane by lane.
float embedviz_umap_power(float x, float y);
void embedviz_umap_power8(const float *x, float y, float *out);

#endif
