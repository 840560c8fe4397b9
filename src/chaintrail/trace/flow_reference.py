"""Taint propagation in plain Python: the twin of ``flow_kernels.propagate``,
written for reading and for tests (dicts, heapq, Python integers). It
returns the same slots, pieces and edges, so tests compare the two exactly.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from chaintrail.store.arrays import FLAG_COINBASE
from chaintrail.trace import flow_codes as FK
from chaintrail.trace.policies import FIFO, FORWARD, HAIRCUT, LIFO, POISON
from chaintrail.trace.split_reference import split_backward, split_forward


@dataclass
class Slot:
    output: int
    amount: int
    hop: int  # least hop of its pieces
    fate: int
    start: bool = False
    returned: int = 0
    limited: int = 0  # amount stopped by the hop limit while the rest went on
    entity: int = -1
    pieces: list[tuple[int, int, int]] = field(default_factory=list)  # (start, length, hop)


@dataclass
class Arrays:
    """The chain arrays the propagation reads (any objects indexable by id)."""

    tx_first_in: object
    tx_n_in: object
    tx_first_out: object
    tx_n_out: object
    tx_flags: object
    tx_fee: object
    out_tx: object
    out_value: object
    out_address: object
    out_spent_by: object
    in_tx: object
    in_spent: object


def propagate(direction: int, policy: int, starts: list[int], max_hops: int, min_value: int,
              budget: int, a: Arrays, entity_of, stop: set[int]):
    """(slots by output in creation order, edges [(src, dst, tx, amount, hop)], work,
    exhausted, txs split). entity_of(output) -> entity code or -1; stop: codes that end it."""
    forward = direction == FORWARD
    positional = policy in (FIFO, LIFO)
    slots: dict[int, Slot] = {}
    txs: dict[int, int] = {}
    done: set[int] = set()
    heap: list[int] = []
    edges: list[list[int]] = []

    def queue(t: int, hop: int) -> None:
        if t not in txs:
            txs[t] = hop
            heapq.heappush(heap, t if forward else -t)
        elif t not in done and hop < txs[t]:
            txs[t] = hop

    def next_tx(o: int) -> int | None:
        if forward:
            sb = int(a.out_spent_by[o])
            return None if sb < 0 else int(a.in_tx[sb])
        return int(a.out_tx[o])

    for o in starts:
        o = int(o)
        if o in slots:
            continue
        v = int(a.out_value[o])
        sl = Slot(o, v, 0, FK.F_NONE, start=True, entity=entity_of(o),
                  pieces=[(0, v, 0)] if v > 0 else [])
        slots[o] = sl
        nxt = next_tx(o)
        if nxt is None:
            sl.fate = FK.F_UNSPENT
        elif max_hops >= 1:
            queue(nxt, 1)
            sl.fate = FK.F_QUEUED
        else:
            sl.fate = FK.F_HOPLIMIT
    work = len(slots)
    exhausted = False
    n_done = 0

    while heap:
        key = heapq.heappop(heap)
        t = key if forward else -key
        ni, no = int(a.tx_n_in[t]), int(a.tx_n_out[t])
        fi, fo = int(a.tx_first_in[t]), int(a.tx_first_out[t])
        if work + ni + no > budget:
            exhausted = True
            break
        work += ni + no
        done.add(t)
        n_done += 1
        resolved = [int(a.in_spent[fi + k]) for k in range(ni)]
        flowing = resolved if forward else [fo + k for k in range(no)]
        pieces, touched = [], []
        for k, o in enumerate(flowing):
            sl = slots.get(o)
            if sl is None or sl.fate != FK.F_QUEUED:
                continue
            touched.append(sl)
            pieces += [(k, st, n, h) for st, n, h in sl.pieces]
        fee = int(a.tx_fee[t])
        if not forward and int(a.tx_flags[t]) & FLAG_COINBASE:
            fate = FK.F_COINBASE
        elif fee < 0 or min(resolved, default=0) < 0:
            fate = FK.F_UNKNOWN
        else:
            fate = FK.F_CONSUMED
        for sl in touched:
            sl.fate = fate
        if fate != FK.F_CONSUMED or not pieces:
            continue
        in_val = [int(a.out_value[o]) for o in resolved]
        out_val = [int(a.out_value[fo + j]) for j in range(no)]
        if forward:
            rows = split_forward(policy, in_val, out_val, fee, pieces)
        else:
            rows = split_backward(policy, in_val, out_val, pieces)
        if policy in (POISON, HAIRCUT):
            work += len(rows)
        for src, dst, _start, amount, hop in rows:
            if forward:
                e = [resolved[src], fo + dst if dst < no else FK.FEE, t, amount, hop + 1]
            else:
                e = [resolved[dst], fo + src, t, amount, hop + 1]
            if edges and edges[-1][:3] == e[:3] and edges[-1][4] == e[4]:
                edges[-1][3] += amount
            else:
                edges.append(e)
        # receivers in index order; rows of one receiver in place order (amount policies: by hop)
        n_recv = no if forward else ni
        ordered = sorted(range(len(rows)),
                         key=lambda q: (rows[q][1], 0 if positional else rows[q][4]))
        by_recv: dict[int, list[tuple[int, int, int]]] = {}
        for q in ordered:
            _src, dst, start, amount, hop = rows[q]
            lst = by_recv.setdefault(dst, [])
            st = start if positional else 0
            if lst and lst[-1][2] == hop + 1 and (not positional or lst[-1][0] + lst[-1][1] == st):
                lst[-1] = (lst[-1][0], lst[-1][1] + amount, hop + 1)
            else:
                lst.append((st, amount, hop + 1))
        for b in sorted(by_recv):
            if b >= n_recv:
                continue
            plist = by_recv[b]
            amount = sum(p[1] for p in plist)
            o = fo + b if forward else resolved[b]
            if o in slots:
                slots[o].returned += amount
                continue
            sl = Slot(o, amount, min(p[2] for p in plist), FK.F_NONE, entity=entity_of(o),
                      pieces=plist)
            slots[o] = sl
            if sl.entity >= 0 and sl.entity in stop:
                sl.fate = FK.F_STOP
                continue
            if amount < min_value:
                sl.fate = FK.F_FLOOR
                continue
            nxt = next_tx(o)
            if nxt is None:
                sl.fate = FK.F_UNSPENT
                continue
            going = [p for p in plist if p[2] < max_hops]
            if not going:
                sl.fate = FK.F_HOPLIMIT
                continue
            sl.limited = amount - sum(p[1] for p in going)
            sl.pieces = going
            queue(nxt, min(p[2] for p in going) + 1)
            sl.fate = FK.F_QUEUED

    for sl in slots.values():
        if sl.fate == FK.F_QUEUED:
            sl.fate = FK.F_BUDGET
    return slots, [tuple(e) for e in edges], work, exhausted, n_done
