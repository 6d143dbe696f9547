/* blas_threads.h -- let the convolution kernels run BLAS single-threaded
 * while their own OpenMP threads each multiply whole images.
 *
 * If OpenBLAS split each of those products over its own threads as well,
 * 2 x 2 threads would fight over 2 cores (measured on a busy 2-core host: a
 * 1024x288x64 sgemm 5x slower with OpenBLAS on 2 threads than on 1).
 * OpenBLAS built with pthreads (scipy's wheels) has one process-wide thread
 * count, openblas_get/set_num_threads (openblas_set_num_threads_local is the
 * same there); the kernels lower it to 1 around their parallel regions and
 * put it back (_nnet.pyx keeps a count, under the GIL, so that overlapping
 * calls from several Python threads restore the right value).
 *
 * cyt_blas_threads_init(sgemm) finds the two functions in the library that
 * holds scipy's sgemm (the BLAS the kernels call).  Without them (another
 * BLAS, no dladdr) cyt_blas_threads_get returns -1 and the kernels keep each
 * product below OpenBLAS's threading threshold instead.
 */
#ifndef CYT_BLAS_THREADS_H
#define CYT_BLAS_THREADS_H

typedef int (*cyt_get_threads_fn)(void);
typedef void (*cyt_set_threads_fn)(int);
static cyt_get_threads_fn cyt_blas_get = 0;
static cyt_set_threads_fn cyt_blas_set = 0;

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#include <stdio.h>

static int cyt_blas_threads_init(void *blas_function)
{
    /* scipy's wheels prefix OpenBLAS's symbols with scipy_; ILP64 builds add 64_ */
    static const char *affixes[][2] = {{"scipy_", ""}, {"", ""}, {"scipy_", "64_"},
                                       {"", "64_"}};
    char name[64];
    Dl_info info;
    void *lib;
    unsigned i;
    if (!blas_function || !dladdr(blas_function, &info) || !info.dli_fname)
        return 0;
    lib = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (!lib)
        return 0;
    for (i = 0; i < sizeof(affixes) / sizeof(affixes[0]) && !cyt_blas_set; i++) {
        snprintf(name, sizeof(name), "%sopenblas_get_num_threads%s", affixes[i][0],
                 affixes[i][1]);
        cyt_blas_get = (cyt_get_threads_fn)dlsym(lib, name);
        snprintf(name, sizeof(name), "%sopenblas_set_num_threads%s", affixes[i][0],
                 affixes[i][1]);
        cyt_blas_set = cyt_blas_get ? (cyt_set_threads_fn)dlsym(lib, name) : 0;
    }
    if (!cyt_blas_set)
        cyt_blas_get = 0;
    dlclose(lib);      /* RTLD_NOLOAD took a reference: the library stays loaded */
    return cyt_blas_set != 0;
}
#else
static int cyt_blas_threads_init(void *blas_function) { (void)blas_function; return 0; }
#endif

/* BLAS's thread count, or -1 when it cannot be read and set. */
static inline int cyt_blas_threads_get(void) { return cyt_blas_get ? cyt_blas_get() : -1; }
static inline void cyt_blas_threads_set(int n) { if (cyt_blas_set && n > 0) cyt_blas_set(n); }

#endif /* CYT_BLAS_THREADS_H */
