// Flush-to-zero / denormals-are-zero for training loops.
//
// During training, Adam's second moments and many gradients decay into the subnormal range
// (below 1.2e-38), where x86 arithmetic takes a slow microcode path: an epoch of the tutorial's CNN
// ran 40% slower from the second epoch on. Treating subnormals as zero changes nothing a float32
// model can resolve. The setting is per thread (MXCSR); EmbedViz's parallel loops carry the caller's mode into
// their worker tasks.
#include "CSupport.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>

unsigned int embedviz_get_float_mode(void) { return _mm_getcsr(); }
void embedviz_set_float_mode(unsigned int mode) { _mm_setcsr(mode); }
unsigned int embedviz_flushing_mode(unsigned int mode) { return mode | 0x8040; }  // FTZ (bit 15) | DAZ (bit 6)
#else
unsigned int embedviz_get_float_mode(void) { return 0; }
void embedviz_set_float_mode(unsigned int mode) { (void)mode; }
unsigned int embedviz_flushing_mode(unsigned int mode) { return mode; }
#endif
