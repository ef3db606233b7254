# The header-name cache of the C parser, included by _http_parser.pyx (so compiled into it). It
# is a data structure of its own: fixed C tables owning Python objects, with their hashing,
# eviction and start-up fill. The parser only looks names up, through _entry and _keep_value,
# so its rules read without this.

# Header names are interned by their raw bytes, matched case-sensitively, so the objects handed
# out are exactly what arrived: the rulebook's common names for good, any other name in a small
# set-associative table where a newcomer evicts an older one. Names are `istr`, so CIMultiDict
# need not lowercase them again (its keys come out as istr either way). The last short value of
# each name is kept too, with its two tuples: on a keep-alive connection most values (Server,
# Content-Type, Vary, ...) repeat, and reusing immutable objects is invisible to the caller.
# (multidict's C API was measured too: adding items one by one is no faster than one
# CIMultiDict(list) call, and slower for 30 headers.)
cdef struct Entry:
    PyObject *name_b        # owned bytes, whose buffer is the key; NULL for an empty slot
    PyObject *name_s        # owned istr
    int kind
    PyObject *value_b       # owned, NULL until a value is kept
    PyObject *value_s
    PyObject *pair_s        # (name_s, value_s)
    PyObject *pair_b        # (name_b, value_b)


cdef enum:
    N_STATIC = 256          # open addressing, a power of two well above 2 * len(common names)
    N_DYNAMIC = 512         # sets of 4 entries, a power of two
    N_DYNAMIC_SETS = 128
    MAX_CACHED = 64         # longer names and values are not kept

cdef Entry _static[N_STATIC]
cdef Entry _dynamic[N_DYNAMIC]
cdef unsigned char _victim[N_DYNAMIC_SETS]      # round-robin eviction within each set


cdef inline unsigned int _name_hash(const char *p, Py_ssize_t n) noexcept:
    """A cheap hash of a name: its length and its first and last (up to) eight bytes."""
    cdef uint64_t first = 0, last = 0
    if n >= 8:
        memcpy(&first, p, 8)
        memcpy(&last, p + n - 8, 8)
    else:
        memcpy(&first, p, n)
    first = (first * 0x9E3779B97F4A7C15ULL) ^ (last * 0xC2B2AE3D27D4EB4FULL) ^ <uint64_t>n
    first ^= first >> 29
    first *= 0xBF58476D1CE4E5B9ULL
    return <unsigned int>(first >> 32)


cdef inline bint _is_name(Entry *e, const char *p, Py_ssize_t n) noexcept:
    return (PyBytes_GET_SIZE(<object>e.name_b) == n
            and memcmp(PyBytes_AS_STRING(<object>e.name_b), p, n) == 0)


cdef inline void _own(PyObject **slot, object value):
    Py_INCREF(value)
    if slot[0] != NULL:
        Py_DECREF(<object>slot[0])
    slot[0] = <PyObject *>value


cdef int _fill(Entry *e, const char *p, Py_ssize_t n) except -1:
    """Make `e` the entry of the name p[:n] (a new name: cold)."""
    _own(&e.name_b, PyBytes_FromStringAndSize(p, n))
    _own(&e.name_s, istr(_decode(p, n, True)))
    e.kind = _kind_of(p, n)
    if e.value_b != NULL:
        Py_DECREF(<object>e.value_b)
        Py_DECREF(<object>e.value_s)
        Py_DECREF(<object>e.pair_s)
        Py_DECREF(<object>e.pair_b)
        e.value_b = e.value_s = e.pair_s = e.pair_b = NULL
    return 0


cdef Entry *_entry(const char *p, Py_ssize_t n) except NULL:
    """The cache entry of a name of at most MAX_CACHED bytes, made on a miss."""
    cdef unsigned int h = _name_hash(p, n)
    cdef unsigned int i = h & (N_STATIC - 1)
    cdef Entry *e
    while _static[i].name_b != NULL:
        if _is_name(&_static[i], p, n):
            return &_static[i]
        i = (i + 1) & (N_STATIC - 1)
    # 4-way set associative, so a few colliding names on one connection do not evict each other.
    cdef unsigned int base = (h >> 8) & (N_DYNAMIC - 4)
    for i in range(base, base + 4):
        e = &_dynamic[i]
        if e.name_b != NULL and _is_name(e, p, n):
            return e
    i = base + (_victim[base >> 2] & 3)
    _victim[base >> 2] += 1
    e = &_dynamic[i]
    _fill(e, p, n)
    return e


cdef int _keep_value(Entry *e, object value_b, object value_s, object pair_s,
                     object pair_b) except -1:
    _own(&e.value_b, value_b)
    _own(&e.value_s, value_s)
    _own(&e.pair_s, pair_s)
    _own(&e.pair_b, pair_b)
    return 0


cdef int _init_common_names() except -1:
    cdef bytes raw
    cdef unsigned int i
    for name in rules.COMMON_HEADER_NAMES:
        for spelling in (name, name.lower()):
            raw = spelling.encode("ascii")
            i = _name_hash(raw, len(raw)) & (N_STATIC - 1)
            while _static[i].name_b != NULL and not _is_name(&_static[i], raw, len(raw)):
                i = (i + 1) & (N_STATIC - 1)
            if _static[i].name_b == NULL:
                _fill(&_static[i], raw, len(raw))
    return 0


_init_common_names()
