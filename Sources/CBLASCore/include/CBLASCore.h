#ifndef EMBEDVIZ_CBLASCORE_H
#define EMBEDVIZ_CBLASCORE_H

/// The kernel set OpenBLAS had chosen by itself before EmbedViz corrected it, or "" when OpenBLAS's
/// own choice was kept. See core.c.
const char *embedviz_openblas_original_core(void);

#endif
