// Corrects OpenBLAS's kernel choice on CPUs newer than its detection tables.
//
// Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) picks its kernels by CPU model number. On CPUs it does not
// know (e.g. Xeon "Emerald Rapids", family 6 model 207) it falls back to the generic "Prescott"
// SSE3 kernels, which are several times slower than the AVX-512 ones the CPU can run. OpenBLAS reads
// OPENBLAS_CORETYPE only in its load-time constructor, before any code of ours runs; this constructor
// runs right after it (libraries initialise before the code that links them), and when OpenBLAS fell
// back to Prescott on a CPU with AVX-512 or AVX2, re-runs the selection with the matching core type.
// An OPENBLAS_CORETYPE set by the user is always respected.
#include <stdlib.h>
#include <string.h>

#include "CSupport.h"

extern char *openblas_get_corename(void);
extern void gotoblas_dynamic_init(void);
extern void gotoblas_dynamic_quit(void);

static char original_core[32] = "";
static int initial_threads = 1;

extern int openblas_get_num_threads(void);

__attribute__((constructor)) static void embedviz_select_openblas_core(void) {
    // OpenBLAS's own thread count at load (the cores, or OPENBLAS_NUM_THREADS), before any code of
    // ours could change it: the default of Threads.count.
    initial_threads = openblas_get_num_threads();
    if (getenv("OPENBLAS_CORETYPE") != NULL) return;
    const char *chosen = openblas_get_corename();
    if (chosen == NULL || strcmp(chosen, "Prescott") != 0) return;
    __builtin_cpu_init();
    const char *better = NULL;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
        better = "SkylakeX";
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        better = "Haswell";
    }
    if (better == NULL) return;
    strncpy(original_core, chosen, sizeof(original_core) - 1);
    setenv("OPENBLAS_CORETYPE", better, 0);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    unsetenv("OPENBLAS_CORETYPE");
}

const char *embedviz_openblas_original_core(void) { return original_core; }

int embedviz_openblas_initial_threads(void) { return initial_threads > 0 ? initial_threads : 1; }
