"""Taint policies and trace directions: their names, integer codes (read by
the kernels as compile-time constants) and parsing of user input.

The rules of each policy, forward and backward, are in docs/tracing.md;
``split_reference`` states them in plain Python and ``split_kernels``
implements them for the propagation loop.
"""

from __future__ import annotations

from chaintrail.errors import ChaintrailError

POISON = 0
HAIRCUT = 1
FIFO = 2
LIFO = 3
TIHO = 4

#: policy names; index = code
POLICY_NAMES: tuple[str, ...] = ("poison", "haircut", "fifo", "lifo", "tiho")
POLICY_CODES: dict[str, int] = {n: c for c, n in enumerate(POLICY_NAMES)}

#: policies whose state is a set of intervals inside each output (Clayton's case)
POSITIONAL = frozenset({FIFO, LIFO})
#: policies that move exactly the tainted amount (every policy but poison)
CONSERVATIVE = frozenset({HAIRCUT, FIFO, LIFO, TIHO})

FORWARD = 0
BACKWARD = 1
DIRECTION_NAMES: tuple[str, ...] = ("forward", "backward")


class TraceError(ChaintrailError):
    """A trace that cannot be run as asked (bad policy, start, level or option)."""


def policy_code(name: str | int) -> int:
    """The code of a policy name (case-insensitive) or code."""
    if isinstance(name, int):
        if 0 <= name < len(POLICY_NAMES):
            return name
        raise TraceError(f"unknown policy code {name}")
    code = POLICY_CODES.get(str(name).strip().lower())
    if code is None:
        raise TraceError(f"unknown policy {name!r}: use one of {', '.join(POLICY_NAMES)}")
    return code


def direction_code(name: str | int) -> int:
    """The code of a direction: forward (where did it go) or backward (where did it come from)."""
    if isinstance(name, int) and name in (FORWARD, BACKWARD):
        return name
    text = str(name).strip().lower()
    if text in ("forward", "fwd", "outgoing", "out"):
        return FORWARD
    if text in ("backward", "back", "bwd", "incoming", "in"):
        return BACKWARD
    raise TraceError(f"unknown direction {name!r}: use forward or backward")
