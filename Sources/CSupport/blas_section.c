// Which threads belong to the BLAS section in progress (see Threads.withBLASThreads in Linalg).
//
// OpenBLAS's thread count is one process-wide setting. EmbedViz lets one section at a time own it
// (a lock) and marks the owning thread, and the worker threads its parallel loops start, with this
// per-thread flag, so that their own nested BLAS calls neither wait for the lock nor change the setting.
#include "CSupport.h"

static _Thread_local int blas_section_member = 0;

int embedviz_in_blas_section(void) { return blas_section_member; }
void embedviz_set_in_blas_section(int member) { blas_section_member = member; }
