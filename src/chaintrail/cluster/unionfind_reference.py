"""Pure-Python twin of ``unionfind_kernels.cluster_pass``: the same
sequential clustering (multi-input links in chain order, change events
applied when due, the same guard), written with sets, for the property
tests. Returns the partition, the evidence edges and the refusals."""

from __future__ import annotations

from chaintrail.cluster import unionfind_kernels as U
from chaintrail.heuristics.codes import (
    EV_CHANGE,
    EV_MULTI_INPUT,
    REFUSE_CANNOT_LINK,
    REFUSE_OTHER_OUTPUT,
    REFUSE_TAGS,
)


class RefClustering:
    """Clusters as explicit sets of addresses, each with its service and payee constraints."""

    def __init__(self, n_addr: int, svc: list[int] | None = None):
        self.of = {x: frozenset([x]) for x in range(n_addr)}
        self.svc = {frozenset([x]): (svc[x] if svc else -1) for x in range(n_addr)}
        self.cannot: list[tuple[int, int]] = []  # address pairs that must stay apart
        self.edges: list[tuple[int, int, int, int, int]] = []  # tx, a, b, kind, support
        self.refused: list[tuple[int, int, int, int, int]] = []  # tx, a, b, kind, reason

    def same(self, x: int, y: int) -> bool:
        return self.of[x] is self.of[y]

    def _merge(self, x: int, y: int) -> None:
        cx, cy = self.of[x], self.of[y]
        sx, sy = self.svc[cx], self.svc[cy]
        new = cx | cy
        # -1: no service; -2: several (an unguarded merge joined two)
        self.svc[new] = sy if sx == -1 else (sx if sy in (-1, sx) else -2)
        for z in new:
            self.of[z] = new

    def _tags_clash(self, x: int, y: int) -> bool:
        sx, sy = self.svc[self.of[x]], self.svc[self.of[y]]
        return sx != -1 and sy != -1 and (sx != sy or sx == -2)

    def _constrained(self, x: int, y: int) -> bool:
        cx, cy = self.of[x], self.of[y]
        return any((p in cx and q in cy) or (p in cy and q in cx) for p, q in self.cannot)

    def multi_input(self, a, t: int, flags: int) -> None:
        addrs = [int(a.out_address[a.in_spent[i]]) for i in range(int(a.tx_first_in[t]),
                                                                     int(a.tx_first_in[t] + a.tx_n_in[t]))
                 if a.in_spent[i] >= 0 and a.out_address[a.in_spent[i]] >= 0]
        if not addrs:
            return
        first = addrs[0]
        for x in addrs[1:]:
            if self.same(first, x):
                continue
            if flags & U.F_MI_GUARD and self._tags_clash(first, x):
                self.refused.append((t, first, x, EV_MULTI_INPUT, REFUSE_TAGS))
                continue
            if flags & U.F_CL_MULTI_INPUT and self._constrained(first, x):
                self.refused.append((t, first, x, EV_MULTI_INPUT, REFUSE_CANNOT_LINK))
                continue
            self._merge(first, x)
            self.edges.append((t, first, x, EV_MULTI_INPUT, 0))

    def change(self, a, t: int, out: int, support: int, flags: int) -> None:
        c = int(a.out_address[out])
        first = next((int(a.out_address[a.in_spent[i]]) for i in range(int(a.tx_first_in[t]),
                                                                         int(a.tx_first_in[t] + a.tx_n_in[t]))
                      if a.in_spent[i] >= 0 and a.out_address[a.in_spent[i]] >= 0), -1)
        if first < 0 or c < 0:
            return
        outs = range(int(a.tx_first_out[t]), int(a.tx_first_out[t] + a.tx_n_out[t]))
        reason = 0
        if not self.same(first, c):
            if flags & U.F_OTHER_OUTPUT and any(
                    o != out and a.out_address[o] >= 0 and a.out_address[o] != c
                    and self.same(int(a.out_address[o]), first) for o in outs):
                reason = REFUSE_OTHER_OUTPUT
            elif self._tags_clash(first, c):
                reason = REFUSE_TAGS
            elif flags & U.F_CANNOT_LINK and self._constrained(first, c):
                reason = REFUSE_CANNOT_LINK
        if reason:
            self.refused.append((t, first, c, EV_CHANGE, reason))
        elif not self.same(first, c):
            self._merge(first, c)
            self.edges.append((t, first, c, EV_CHANGE, support))
        if flags & U.F_CANNOT_LINK and reason != REFUSE_OTHER_OUTPUT:
            for o in outs:
                x = int(a.out_address[o])
                if o != out and x >= 0 and not self.same(x, first):
                    self.cannot.append((first, x))

    def run(self, a, skip, events: list[tuple[int, int, int, int]], start: int, end: int, flags: int) -> None:
        """MI of txs [start, end), events (tx, due, output, support) applied before tx `due`."""
        k = 0
        for u in range(start, end + 1):
            while k < len(events) and events[k][1] <= u:
                t, _, out, sup = events[k]
                self.change(a, t, out, sup, flags)
                k += 1
            if u < end and not skip[u]:
                self.multi_input(a, u, flags)

    def partition(self) -> set[frozenset]:
        return set(self.of.values())


def plain_multi_input_reference(skip, tx_first_in, tx_n_in, in_addr, parent: list[int],
                                size: list[int]) -> None:
    """The multi-input links of ``cluster_pass`` (no events, no guard) on plain lists: union by
    size (ties: the smaller id is the root), path halving, the first input's root found at the
    second input. Twin of the kernel's array state (parent and size exactly), for the tests."""

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for t in range(len(skip)):
        if skip[t]:
            continue
        first, ra = -1, -1
        for k in range(int(tx_first_in[t]), int(tx_first_in[t] + tx_n_in[t])):
            x = int(in_addr[k])
            if x < 0:
                continue
            if first < 0:
                first = x
                continue
            if ra < 0:
                ra = find(first)
            rb = find(x)
            if ra == rb:
                continue
            if size[ra] < size[rb] or (size[ra] == size[rb] and rb < ra):
                ra, rb = rb, ra
            parent[rb] = ra
            size[ra] += size[rb]
