# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The C twin of the websocket mask: XOR a buffer in place with a repeating 4-byte key.

Every byte a client sends passes through here (RFC 6455 section 5.3). The loops are written
in C below because their speed depends on details Cython cannot express: vector types, a
function compiled for AVX2 and chosen at run time, and no stack copy of the data (the 64-bit
word array of the previous loop made gcc store every block twice, which cost half its speed).

The build keeps the default flags of a plain ``pip install`` (baseline SSE2 on x86-64): the
AVX2 loop is compiled for AVX2 by a function attribute and runs only when the CPU says it
has AVX2. AVX-512 is not used: on a Zen 5 core it measured no faster than AVX2.
"""

cimport cython
from cpython.buffer cimport PyBUF_WRITABLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdint cimport uint8_t

cdef extern from *:
    """
    #include <stddef.h>
    #include <stdint.h>
    #include <string.h>

    /* The key is held as 64 bits: the 4 key bytes twice, in memory order. Moving it on by
       ``bits`` / 8 bytes of the stream is a rotation whose direction is the byte order's.
       Registers, not a byte array: wide loads from a freshly written array stall. */
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    #define WS_ADVANCE(key, bits) (((key) << (bits)) | ((key) >> (64 - (bits))))
    #else
    #define WS_ADVANCE(key, bits) (((key) >> (bits)) | ((key) << (64 - (bits))))
    #endif

    /* XOR one 1-, 2-, 4- or 8-byte word at dst with the first bytes of the key; memcpy keeps
       the access legal at any alignment and compiles to a single move. */
    #define WS_XOR_WORD(T, dst, key) do { \\
            T ws_v_, ws_k_; \\
            memcpy(&ws_v_, (dst), sizeof ws_v_); \\
            memcpy(&ws_k_, &(key), sizeof ws_k_); \\
            ws_v_ ^= ws_k_; \\
            memcpy((dst), &ws_v_, sizeof ws_v_); \\
        } while (0)

    /* Fewer than 16 bytes in at most four steps of 1, 2, 4 and 8 bytes. From an address a,
       masking (-a) & 15 bytes this way leaves the next byte 16-aligned. Returns the key
       moved on past them. */
    static CYTHON_INLINE uint64_t ws_mask_short(uint8_t *buf, size_t n, uint64_t key)
    {
        if (n & 1) { WS_XOR_WORD(uint8_t, buf, key); buf += 1; key = WS_ADVANCE(key, 8); }
        if (n & 2) { WS_XOR_WORD(uint16_t, buf, key); buf += 2; key = WS_ADVANCE(key, 16); }
        if (n & 4) { WS_XOR_WORD(uint32_t, buf, key); buf += 4; }
        if (n & 8) { WS_XOR_WORD(uint64_t, buf, key); }
        return key;
    }

    #if defined(__GNUC__)
    typedef uint64_t ws_v16 __attribute__((vector_size(16), may_alias));
    typedef uint64_t ws_v16u __attribute__((vector_size(16), may_alias, aligned(1)));

    /* size a multiple of 16, any alignment: short buffers, where aligning first costs more
       than it saves. */
    static void ws_mask_unaligned(uint8_t *buf, size_t size, uint64_t key)
    {
        const ws_v16u k = {key, key};
        for (; size; size -= 16, buf += 16) *(ws_v16u *)buf ^= k;
    }

    /* buf 16-aligned, size a multiple of 16. Eight vectors a step: with one, the loop's own
       instructions are the limit on data in L1 or L2; with two or four, the speed swung by
       2x with where the loop happened to land in the code (measured on a Zen 5). */
    static void ws_mask_aligned(uint8_t *buf, size_t size, uint64_t key)
    {
        const ws_v16 k = {key, key};
        ws_v16 *p = (ws_v16 *)buf;
        size_t n;
        for (n = size >> 7; n; n--) {
            p[0] ^= k;
            p[1] ^= k;
            p[2] ^= k;
            p[3] ^= k;
            p[4] ^= k;
            p[5] ^= k;
            p[6] ^= k;
            p[7] ^= k;
            p += 8;
        }
        for (n = (size >> 4) & 7; n; n--) *p++ ^= k;
    }
    #else
    /* Compilers without GNU vector types: 64-bit words (the compiler may vectorise them). */
    static void ws_mask_unaligned(uint8_t *buf, size_t size, uint64_t key)
    {
        for (; size; size -= 8, buf += 8) WS_XOR_WORD(uint64_t, buf, key);
    }
    #define ws_mask_aligned ws_mask_unaligned
    #endif

    #if defined(__GNUC__) && defined(__x86_64__)
    #define WS_AVX2_BUILT 1
    typedef uint64_t ws_v32 __attribute__((vector_size(32), may_alias));

    /* buf 16-aligned, size a multiple of 16: one 16-byte step to a 32-byte boundary if
       needed, then four 32-byte vectors a step. Compiled for AVX2 whatever the build's flags;
       only called once ws_detect_avx2 said yes. */
    __attribute__((target("avx2")))
    static void ws_mask_avx2(uint8_t *buf, size_t size, uint64_t key)
    {
        const ws_v32 k = {key, key, key, key};
        ws_v32 *p;
        size_t n;
        if (((uintptr_t)buf & 16) && size) {
            *(ws_v16 *)buf ^= (ws_v16){key, key};
            buf += 16;
            size -= 16;
        }
        p = (ws_v32 *)buf;
        for (n = size >> 7; n; n--) {
            p[0] ^= k;
            p[1] ^= k;
            p[2] ^= k;
            p[3] ^= k;
            p += 4;
        }
        for (n = (size >> 5) & 3; n; n--) *p++ ^= k;
        if (size & 16) *(ws_v16 *)p ^= (ws_v16){key, key};
    }

    /* libgcc's and compiler-rt's check also asks the OS whether it saves the AVX registers. */
    static int ws_detect_avx2(void)
    {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
    }
    #else
    static int ws_detect_avx2(void) { return 0; }
    #endif

    static int ws_avx2_on = 0;

    /* Below this many bytes the buffer is masked where it lies, without aligning it first. */
    #define WS_ALIGN_FROM 256

    static void ws_mask(const uint8_t *mask, uint8_t *buf, size_t size)
    {
        uint32_t half;
        uint64_t key;
        size_t head, body;
        memcpy(&half, mask, 4);
        key = ((uint64_t)half << 32) | half;
        if (size < WS_ALIGN_FROM) {
            body = size & ~(size_t)15;
            ws_mask_unaligned(buf, body, key);
        } else {
            head = (16 - ((uintptr_t)buf & 15)) & 15;
            key = ws_mask_short(buf, head, key);
            buf += head;
            size -= head;
            body = size & ~(size_t)15;
    #ifdef WS_AVX2_BUILT
            if (ws_avx2_on)
                ws_mask_avx2(buf, body, key);
            else
    #endif
                ws_mask_aligned(buf, body, key);
        }
        /* body is a whole number of key cycles: the key is where it was. */
        ws_mask_short(buf + body, size & 15, key);
    }
    """
    int ws_avx2_on
    int ws_detect_avx2() noexcept nogil
    void ws_mask(const uint8_t* mask, uint8_t* buf, size_t size) noexcept nogil


ws_avx2_on = ws_detect_avx2()


# A plain builtin rather than a Cython function object: 3-4 ns less per call, which is a tenth
# of a 125-byte mask.
@cython.binding(False)
def websocket_mask(bytes mask not None, object data) -> None:
    """XOR ``data`` (bytearray or any writable buffer) in place with the 4-byte ``mask``."""
    cdef Py_buffer view
    if PyBytes_GET_SIZE(mask) != 4:
        raise ValueError("the websocket mask must be 4 bytes long")
    cdef const uint8_t* key = <const uint8_t*>PyBytes_AS_STRING(mask)
    if type(data) is bytearray:
        # The common case: skip acquiring a buffer view, which costs more than 125 bytes of XOR.
        ws_mask(key, <uint8_t*>PyByteArray_AS_STRING(data), <size_t>PyByteArray_GET_SIZE(data))
        return
    try:
        PyObject_GetBuffer(data, &view, PyBUF_WRITABLE)  # also rejects non-contiguous views
    except BufferError as exc:
        raise TypeError(f"the websocket mask needs a writable buffer: {exc}") from None
    try:
        ws_mask(key, <uint8_t*>view.buf, <size_t>view.len)
    finally:
        PyBuffer_Release(&view)


def _use_avx2(enabled: bool) -> bool:
    """Switch the AVX2 loop on or off; returns whether it is now on.

    It is never on where the CPU or the build lacks it. Tests and benchmarks use this to reach
    the portable loop on an AVX2 machine."""
    global ws_avx2_on
    ws_avx2_on = ws_detect_avx2() if enabled else 0
    return bool(ws_avx2_on)
