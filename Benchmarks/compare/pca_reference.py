#!/usr/bin/env python3
"""scikit-learn's default PCA (svd_solver="auto") with 2 components on an .npy input, timed in-process
(the fit only, as `embedviz pca` reports its fit+transform time). Prints JSON.
Usage: pca_reference.py INPUT.npy THREADS"""
import json
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits
from sklearn.decomposition import PCA
import sklearn

x = np.load(sys.argv[1])
with threadpool_limits(int(sys.argv[2])):
    PCA(n_components=2).fit(x[:1000])  # warm up the BLAS
    times = []
    for _ in range(5):
        start = time.perf_counter()
        p = PCA(n_components=2).fit(x)
        p.transform(x)
        times.append(time.perf_counter() - start)
print(json.dumps({"tool": "scikit-learn", "version": sklearn.__version__, "seconds": float(np.median(times)),
                  "explained_variance_ratio": [float(v) for v in p.explained_variance_ratio_]}))
