// ARPACK-NG (Debian libarpack2-dev): implicitly restarted Lanczos for a few eigenpairs of a large
// symmetric operator, by reverse communication (dsaupd_c/dseupd_c, the ISO C bindings of the
// Fortran dsaupd/dseupd that SciPy's eigsh wraps). `a_int` is `int` (Debian builds INTERFACE64=0).
// The header is the library's own, so the Swift declarations cannot drift from the binary.
#include <arpack/arpack.h>
