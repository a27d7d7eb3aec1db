/* Compiled as C99 to prove the public header is plain C (no C++ leaks into it). */
#include "nativegrad/nativegrad.h"

int ng_header_c99_check(void) {
    ng_status status = NG_STATUS_OK;
    ng_dtype dtype = NG_DTYPE_FLOAT32;
    return (int)status + (int)dtype + NG_ABI_VERSION;
}
