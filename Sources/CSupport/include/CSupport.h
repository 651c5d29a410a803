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

#endif
