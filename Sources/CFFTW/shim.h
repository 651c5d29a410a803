// FFTW 3, single precision (fftwf_*): the convolutions of interpolation-based t-SNE.
#include <fftw3.h>
