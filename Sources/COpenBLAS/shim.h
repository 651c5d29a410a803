// The only C surface of Linalg: OpenBLAS's CBLAS (with its openblas_* extensions) and LAPACKE.
#include <cblas.h>
#include <lapacke.h>
