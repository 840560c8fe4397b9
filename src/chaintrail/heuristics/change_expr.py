"""The language of ``--change``: which change heuristics, and how they combine.

    none                                   no change links (multi-input only)
    default                                the default combination (``DEFAULT_CHANGE``)
    fresh-address,optimal-change           both must allow an output ("," and "&" are the same)
    fresh-address|address-reuse            either may name it
    (fresh-address,address-type)-locktime  difference: candidates of the left the right rejects
    power-of-ten:5                         a parameter (here: multiples of 10^5 sat are payments)

"," / "&" bind tighter than "|" and "-", which associate to the left.
A heuristic with no opinion on a transaction is left out of "&" and "|"
there (see docs/clustering.md). ``canonical()`` spells a parsed expression
the one way it is stored with a clustering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chaintrail.errors import ChaintrailError
from chaintrail.heuristics.codes import H_POW10, HEURISTIC_CODES, HEURISTIC_NAMES

#: the default combination (chosen on the simulated economy, docs/clustering.md)
DEFAULT_CHANGE = "fresh-address,power-of-ten:4,locktime,version,rbf"
#: parameters of the heuristics that take one, and their defaults
DEFAULT_PARAMS = {H_POW10: 4}

_NAMES = "|".join(re.escape(n) for n in sorted(HEURISTIC_NAMES, key=len, reverse=True))
_TOKEN = re.compile(rf"\s*(?:({_NAMES})(?::(\d+))?|([,&|\-()])|([A-Za-z][A-Za-z0-9_]*))")


class ChangeSpecError(ChaintrailError):
    """A --change value that does not parse."""


@dataclass(frozen=True)
class Leaf:
    code: int
    param: int | None = None


@dataclass(frozen=True)
class Op:
    op: str  # "&", "|", "-"
    left: Node
    right: Node


Node = Leaf | Op


def _tokens(text: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ChangeSpecError(f"--change: cannot read {text[pos:]!r}")
        name, param, sym, unknown = m.groups()
        if unknown is not None:
            raise ChangeSpecError(f"--change: unknown heuristic {unknown!r}; known: "
                                  f"{', '.join(HEURISTIC_NAMES)}")
        if name is not None:
            out.append(("name", name if param is None else f"{name}:{param}"))
        else:
            out.append(("sym", "&" if sym == "," else sym))
        pos = m.end()
    return out


def parse(text: str) -> Node | None:
    """The expression of a --change value; None for "none"."""
    t = text.strip().lower()
    if t in ("", "none"):
        return None
    if t == "default":
        t = DEFAULT_CHANGE
    toks = _tokens(t)
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else (None, None)

    def factor() -> Node:
        nonlocal pos
        kind, val = peek()
        if kind == "sym" and val == "(":
            pos += 1
            node = expr()
            if peek() != ("sym", ")"):
                raise ChangeSpecError(f"--change {text!r}: missing ')'")
            pos += 1
            return node
        if kind != "name":
            raise ChangeSpecError(f"--change {text!r}: expected a heuristic name")
        pos += 1
        name, _, param = val.partition(":")
        if name not in HEURISTIC_CODES:
            raise ChangeSpecError(f"--change: unknown heuristic {name!r}; known: "
                                  f"{', '.join(HEURISTIC_NAMES)}")
        code = HEURISTIC_CODES[name]
        if param and code not in DEFAULT_PARAMS:
            raise ChangeSpecError(f"--change: {name} takes no parameter")
        return Leaf(code, int(param) if param else DEFAULT_PARAMS.get(code))

    def term() -> Node:
        nonlocal pos
        node = factor()
        while peek() == ("sym", "&"):
            pos += 1
            node = Op("&", node, factor())
        return node

    def expr() -> Node:
        nonlocal pos
        node = term()
        while peek()[0] == "sym" and peek()[1] in ("|", "-"):
            op = peek()[1]
            pos += 1
            node = Op(op, node, term())
        return node

    node = expr()
    if pos != len(toks):
        raise ChangeSpecError(f"--change {text!r}: unexpected {toks[pos][1]!r}")
    return node


def canonical(node: Node | None) -> str:
    """The stored spelling of an expression ("none" for no change heuristics)."""
    if node is None:
        return "none"

    def spell(n: Node) -> str:
        if isinstance(n, Leaf):
            name = HEURISTIC_NAMES[n.code]
            return f"{name}:{n.param}" if n.param is not None else name
        left, right = spell(n.left), spell(n.right)
        if n.op == "&":
            left = f"({left})" if isinstance(n.left, Op) and n.left.op != "&" else left
            right = f"({right})" if isinstance(n.right, Op) and n.right.op != "&" else right
            return f"{left},{right}"
        if isinstance(n.right, Op) and n.right.op != "&":
            right = f"({right})"
        return f"{left}{n.op}{right}"

    return spell(node)


def leaves(node: Node | None) -> list[Leaf]:
    """The distinct heuristics an expression uses, in first-use order."""
    out: list[Leaf] = []

    def walk(n):
        if isinstance(n, Leaf):
            if n not in out:
                out.append(n)
        elif n is not None:
            walk(n.left)
            walk(n.right)

    walk(node)
    return out
