/* Force-included (-include) into microvisor/tls for unit_tls_ctgrind: the
 * values the engine declares public become defined for memcheck. */
#include <valgrind/memcheck.h>
#define TLS_DECLASSIFY(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
