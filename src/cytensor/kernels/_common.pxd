# Declarations of cyt_common.h (dtype codes, converting copies, the dimension
# limit) shared by the kernel modules.  Extern-only: no module behind it.
from libc.stdint cimport int32_t

cdef extern from "cyt_common.h" nogil:
    ctypedef Py_ssize_t cyt_intp
    enum:
        CYT_BOOL, CYT_I8, CYT_I16, CYT_I32, CYT_I64, CYT_U8, CYT_U16, CYT_U32, CYT_U64
        CYT_F32, CYT_F64, CYT_NDT
    enum:
        CYT_MAXDIMS         # dimensions a kernel walks (the size of every index array)
    const int *cyt_dt_size
    void cyt_walk(char *base, int odt, const cyt_intp *strides, const cyt_intp *shape, int nd,
                  cyt_intp start, cyt_intp len, char *buf, int bdt, int store)
    void cyt_convert(const char *src, cyt_intp ss, int st, char *dst, cyt_intp ds, int dt,
                     cyt_intp n)
    void cyt_stream_copy(char *dst, const char *src, cyt_intp n)
    cyt_intp cyt_dynamic_chunk(cyt_intp ntask, int nt)
    void cyt_copy_nd(char *dst, int dt, const cyt_intp *dstr, const char *src, int st,
                     const cyt_intp *sstr, const cyt_intp *shape, int nd, cyt_intp start,
                     cyt_intp len)
