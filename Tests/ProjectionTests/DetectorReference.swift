import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

/// The detectors against values written down once from NumPy/SciPy/scikit-learn on a small set.
///
/// Provenance: NumPy 2.4.6, scikit-learn 1.9.1, SciPy 1.17.1, this script (its
/// inputs are float32 values, so both sides see the same numbers):
///
///     import numpy as np, sklearn, scipy
///     from sklearn.metrics import roc_curve, roc_auc_score
///     from sklearn.neighbors import NearestNeighbors, LocalOutlierFactor
///     from sklearn.covariance import EmpiricalCovariance
///     from scipy.special import logsumexp, softmax
///     rng = np.random.default_rng(17)
///     R = np.round(rng.normal(size=(18, 4)) + np.repeat(np.eye(3, 4) * 3, 6, axis=0), 2)   # reference, 3 classes
///     yR = np.repeat([0, 1, 2], 6)
///     Q = np.round(rng.normal(size=(10, 4)) * 1.5, 2)                                       # queries
///     L = np.round(rng.normal(size=(10, 3)) * 3, 2)                                         # logits
///     s = np.array([0.3, 1.2, 0.7, 2.5, 0.7, 1.9, 0.1, 3.0, 1.2, 0.4, 2.2, 1.6, 0.9, 2.8, 0.5, 1.1, 2.0, 0.2, 1.4, 2.6, 2.6, 1.2, 3.5, 0.7, 4.0])
///     y = np.array([0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,1,1,1,1], bool)   # 20 inliers, 5 outliers; ties across classes
///     f32 = lambda a: a.astype(np.float32).astype(np.float64)
///     R, Q, L = f32(R), f32(Q), f32(L)
///     np.set_printoptions(precision=17, floatmode='unique', linewidth=150)
///     print("versions", np.__version__, sklearn.__version__, scipy.__version__)
///     print("R", repr(R.tolist())); print("Q", repr(Q.tolist())); print("L", repr(L.tolist())); print("s", s.tolist()); print("y", y.astype(int).tolist())
///     print("auroc", roc_auc_score(y, s))
///     fpr, tpr, _ = roc_curve(~y, -s, drop_intermediate=False); print("fpr95", fpr[np.searchsorted(tpr, 0.95)])
///     mu = np.stack([R[yR == c].mean(0) for c in range(3)])
///     tied = EmpiricalCovariance().fit(R - mu[yR])
///     print("maha_cc", np.min(np.stack([tied.mahalanobis(Q - mu[c]) for c in range(3)]), 0).tolist())
///     print("maha", EmpiricalCovariance().fit(R).mahalanobis(Q).tolist())
///     print("energy", (-logsumexp(L, axis=1)).tolist())
///     print("msp", (-softmax(L, axis=1).max(1)).tolist())
///     nn = NearestNeighbors(n_neighbors=3, metric="cosine").fit(R); d, i = nn.kneighbors(Q)
///     print("cos_idx", i.tolist()); print("cos_dist", d.tolist())
///     nn = NearestNeighbors(n_neighbors=4, metric="cosine").fit(Q); d, i = nn.kneighbors(Q)
///     print("cosQ_idx", i[:, 1:].tolist()); print("cosQ_dist", d[:, 1:].tolist())
///     print("lof_cos", (-LocalOutlierFactor(n_neighbors=3, metric="cosine").fit(Q).negative_outlier_factor_).tolist())
///     Rn = R / np.linalg.norm(R, axis=1, keepdims=True); Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True)
///     d, _ = NearestNeighbors(n_neighbors=5).fit(Rn).kneighbors(Qn); print("deepknn5", d[:, -1].tolist())
///     print("cond_tied", np.linalg.cond(tied.covariance_), "cond_all", np.linalg.cond(EmpiricalCovariance().fit(R).covariance_))
enum DetectorReference {
    /// Reference rows (3 classes of 6, `yR`).
    static let reference: [[Double]] = [
        [4.1, 0.34, -0.54, -1.26],
        [1.11, 0.02, -0.81, -0.87],
        [2.78, -0.05, -2.28, 0.93],
        [0.97, 1.86, 0.59, -0.47],
        [4.34, 0.02, 0.69, 0.11],
        [4.1, 1.06, -0.91, -0.61],
        [0.34, 2.79, -2.28, 2.03],
        [-2.17, 0.92, -1.28, 0.56],
        [1.8, 2.76, -0.39, 0.17],
        [-0.37, 3.08, -1.14, 0.44],
        [0.39, 0.56, -0.11, 0.16],
        [0.56, 2.18, -1.33, -0.95],
        [0.55, -0.85, 2.24, 1.14],
        [-0.79, -0.9, 2.91, 0.2],
        [1.04, -0.88, 1.43, -0.12],
        [0.64, -1.48, 2.51, 0.31],
        [0.23, 0.08, 2.74, -0.8],
        [-0.93, 1.16, 1.88, 1.23],
    ]
    static let referenceLabels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]
    static let queries: [[Double]] = [
        [-1.97, 4.36, -2.61, 2.41],
        [-1.35, -0.17, -0.1, -0.98],
        [3.34, 0.14, -1.98, 0.97],
        [1.07, -1.72, 0.8, 0.1],
        [1.23, 1.07, -0.01, -0.61],
        [1.37, 0.47, -2.23, -0.82],
        [-0.72, -0.39, 3.43, -0.57],
        [0.72, 2.48, 0.76, 0.65],
        [1.95, 0.3, 0.28, 1.03],
        [0.62, -1.02, -1.75, -0.17],
    ]
    static let logits: [[Double]] = [
        [4.19, -0.68, 3.45],
        [1.24, -0.93, -7.9],
        [0.67, -0.83, -4.8],
        [1.54, -0.08, 1.13],
        [-1.81, 0.61, -1.42],
        [3.19, 0.37, -4.21],
        [0.64, 0.2, -0.61],
        [-4.05, 3.18, -2.19],
        [4.75, -1.98, 0.1],
        [-0.13, 0.45, 7.93],
    ]
    static let scores: [Double] = [
        0.3, 1.2, 0.7, 2.5, 0.7, 1.9, 0.1, 3.0, 1.2, 0.4,
        2.2, 1.6, 0.9, 2.8, 0.5, 1.1, 2.0, 0.2, 1.4, 2.6,
        2.6, 1.2, 3.5, 0.7, 4.0,
    ]
    static let isNoise: [Bool] = ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1] as [Int]).map { $0 == 1 }
    static let auroc = 0.7350000000000001
    static let fprAt95 = 0.6
    static let mahalanobisClassConditional: [Double] = [
        16.009854005871563, 12.230551869572233, 5.3688749533048465,
        7.685097059489983, 3.049199160105829, 9.531288171669438,
        3.399383053439392, 8.456039039336915, 7.733777190700746,
        10.509828925604804,
    ]
    static let mahalanobis: [Double] = [
        13.759385020986434, 8.960250159827925, 6.585765485930383,
        4.522211043602592, 0.9454174013344769, 6.534340909563551,
        5.181005654040542, 4.673912100296186, 2.3442349641815956,
        10.523232545696425,
    ]
    static let energy: [Double] = [
        -4.585271570570863, -1.3482128654927157, -0.8748503763452189,
        -2.1614088875618003, -0.8090616263988563, -3.248473842738005,
        -1.2978003788715706, -3.185364304881169, -4.760698699151932,
        -7.930879625570261,
    ]
    static let maximumSoftmax: [Double] = [
        -0.6734971509537415, -0.8974365513835486, -0.8147692296374885,
        -0.5371870475251156, -0.819499400703566, -0.9432029656531792,
        -0.5179894554641369, -0.9946501237097843, -0.9893583283751978,
        -0.9991205896764709,
    ]
    /// `NearestNeighbors(n_neighbors=3, metric="cosine").fit(R).kneighbors(Q)`.
    static let cosineIndices: [[Int32]] = [[9, 6, 7], [7, 13, 16], [2, 5, 0], [14, 15, 12], [3, 8, 5], [1, 2, 11], [13, 16, 15], [3, 8, 10], [4, 5, 2], [2, 1, 0]]
    static let cosineDistances: [[Double]] = [
        [0.08430128563817263, 0.09665244656705585, 0.20523988874165855],
        [0.4889213754767977, 0.8617060238405799, 0.961369821035026],
        [0.011998345916667597, 0.1406833562056966, 0.21749782120779437],
        [0.12878996734908632, 0.19418749481872077, 0.33026891722147056],
        [0.10728513906681159, 0.12379268256369436, 0.1386573210969987],
        [0.10520765981011737, 0.21557916186877202, 0.28468714237807236],
        [0.042292218597899334, 0.056286417256827814, 0.20208740312094797],
        [0.11651289713113, 0.1354080367903462, 0.13987104743027856],
        [0.1100626637354708, 0.24278244869460497, 0.3127678354340301],
        [0.28967518730229236, 0.3539187237187231, 0.6360062575993037],
    ]
    /// The same within Q (each point's own row dropped).
    static let cosineWithinIndices: [[Int32]] = [[7, 5, 4], [6, 0, 9], [8, 5, 9], [8, 6, 9], [7, 5, 8], [9, 2, 4], [3, 1, 7], [4, 0, 8], [2, 4, 7], [5, 2, 3]]
    static let cosineWithinDistances: [[Double]] = [
        [0.4559991275401869, 0.8073574554625761, 0.9230592394961246],
        [0.7910370237613582, 1.0182314124736178, 1.0901999273730087],
        [0.220774876063771, 0.25860110010963167, 0.38566888079614436],
        [0.6120082426817102, 0.6677725581730252, 0.7839953515062785],
        [0.34962541828766946, 0.44040908087768493, 0.46515160997573934],
        [0.25392644348541205, 0.25860110010963167, 0.44040908087768493],
        [0.6677725581730252, 0.7910370237613582, 0.9241126410514368],
        [0.34962541828766946, 0.4559991275401869, 0.5121824662450695],
        [0.220774876063771, 0.46515160997573934, 0.5121824662450695],
        [0.25392644348541205, 0.38566888079614436, 0.7839953515062785],
    ]
    static let lofCosine: [Double] = [
        1.3609554786635973, 1.4398111524967543, 1.1383058219103284,
        1.3241078663450139, 0.9138093637298939, 1.0242835593345505,
        1.2004516081120198, 1.1796909763404226, 0.8108723655767102,
        0.8686585798003744,
    ]
    static let deepKNN5: [Double] = [
        0.9435351505550725, 1.4566661452026084, 0.7920967079222905,
        1.054729592713592, 0.6396162747059592, 0.8195689380505279,
        0.8411584139707087, 0.9005224361240811, 0.8153634043147031,
        1.3003129862924458,
    ]
}
