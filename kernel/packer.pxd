# The compiled build's declarations for kernel/packer.py (RecordWriter): Cython reads this
# "augmenting" .pxd beside the .py and builds the class as an extension type whose fields are
# C-level and whose writing methods are C functions (the buffer a typed memoryview). Plain
# Python never reads it. One line per name in the class's __slots__ (tests/accel checks).

cimport cython
from libc.string cimport memcpy

cdef extern from "Python.h":
    long long PyLong_AsLongLongAndOverflow(object obj, int* overflow) except? -1
    const char* PyUnicode_AsUTF8AndSize(object obj, Py_ssize_t* size) except NULL


@cython.final
cdef class RecordWriter:
    cdef public object _buf
    cdef public object _full
    cdef public object _pack
    cdef unsigned char[::1] _view
    cdef public Py_ssize_t cap
    cdef public Py_ssize_t count
    cdef public Py_ssize_t max_bytes
    cdef public Py_ssize_t max_records
    cdef public Py_ssize_t pos

    cdef int _begin(self, Py_ssize_t n) except -1
    cdef int _done(self) except -1
    cdef int _grow(self, Py_ssize_t need) except -1
    cdef int _value(self, object obj, int depth) except -1
    cdef int _tuple(self, tuple items, int depth) except -1
    cdef inline int _int(self, long long v) except -1
    cdef inline int _be(self, long long v, int n) except -1
    cdef int _str(self, str s) except -1
    cdef int _bytes(self, bytes data) except -1
    cdef int _other(self, object obj) except -1
    cdef int _raw(self, bytes data) except -1
    cdef inline int _head(self, Py_ssize_t n, int fix, int fix_below, int b16, int b32, int b8=*) except -1
