# The compiled build's declarations for sim/book.py (BookOrder, Level, BookSide, Book): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

cdef class BookOrder:
    cdef public object display
    cdef public object hidden
    cdef public object live
    cdef public object oid
    cdef public object owner
    cdef public object price
    cdef public object seq
    cdef public object side
    cdef public object visible

cdef class Level:
    cdef public object count
    cdef public object hidden
    cdef public object price
    cdef public object queue
    cdef public object size

cdef class BookSide:
    cdef public list _keys
    cdef public object best
    cdef public object key
    cdef public dict levels
    cdef public object side

cdef class Book:
    cdef public BookSide asks
    cdef public BookSide bids
    cdef public dict orders
