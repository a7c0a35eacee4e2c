# The compiled build's declarations for kernel/positions.py (Position, Portfolio,
# MarketState): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

cdef class Position:
    cdef public object commission
    cdef public object cost
    cdef public object fills
    cdef public object qty
    cdef public object realized
    cdef public object strategy_id
    cdef public object symbol
    cdef public object ticklot_money
    cdef public object turnover

cdef class Portfolio:
    cdef public dict _by_currency
    cdef public object _multi
    cdef public dict _pairs
    cdef public object _spot
    cdef public dict base_fees
    cdef public dict commissions
    cdef public object currency
    cdef public object instruments
    cdef public dict markets
    cdef public dict positions
    cdef public object realized
    cdef public object start_cash
    cdef public dict strategy_positions


cdef class MarketState:
    cdef public object book
    cdef public object last_bar
    cdef public object last_quote
    cdef public object last_trade
    cdef public object symbol
