"""The propagation's codes, shared by the numba kernel, its plain-Python
twin and the readers of their output (kept free of numba, so that reading
a trace, or running a small one in plain Python, never starts the JIT).

A slot's fate (``F_*``) says where the amount on an output stopped, or
that it moved on.
"""

from __future__ import annotations

F_NONE = 0
F_QUEUED = 1  # the next transaction is queued
F_CONSUMED = 2  # the next transaction was split: the amount moved on
F_UNSPENT = 3  # forward: the output is unspent, the amount rests there
F_STOP = 4  # the output belongs to an entity of the stop-at set
F_FLOOR = 5  # the amount is below the value floor
F_HOPLIMIT = 6  # every piece reached the hop limit
F_BUDGET = 7  # the next transaction was queued when the work budget ran out
F_UNKNOWN = 8  # the next transaction has inputs of unknown value
F_COINBASE = 9  # backward: the output was created by a coinbase (newly mined)
FATE_NAMES = ("none", "queued", "consumed", "unspent", "stop", "floor", "hop_limit", "budget",
              "unknown", "coinbase")

#: slot flag: the output is in the starting set
FLAG_START = 1
#: edge destination of the fee (forward)
FEE = -1
