"""The pure-Python twin of ``link_kernels.hop_search``, written plainly
(a breadth-first search with sets and a queue per target and direction) so
the tests can check the kernel's links and hop counts against it.

Same graph and rules as the kernel: forward A -> B when a transaction
spends a coin of A and pays B, backward the reverse; transactions outside
[t_lo, t_hi] are not crossed; customer addresses reached are recorded and
not passed through, nor the exchange's own wallets (no_cross); addresses
with more than hub_limit outputs are not expanded (except a seed); no work
budget (give the kernel a large one)."""

from __future__ import annotations

from collections import deque

import numpy as np


def _neighbours(a: int, d: int, arr: dict, t_lo: int, t_hi: int) -> list[tuple[int, int]]:
    """(next address, tx) pairs one hop from address a in direction d."""
    out = []
    for k in range(int(arr["ao_start"][a]), int(arr["ao_start"][a + 1])):
        o = int(arr["ao_ids"][k])
        if d == 0:
            i = int(arr["out_spent_by"][o])
            if i < 0:
                continue
            t = int(arr["in_tx"][i])
        else:
            t = int(arr["out_tx"][o])
        if not t_lo <= int(arr["tx_time"][t]) <= t_hi:
            continue
        if d == 0:
            lo = int(arr["tx_first_out"][t])
            nxt = [int(arr["out_address"][j]) for j in range(lo, lo + int(arr["tx_n_out"][t]))]
        else:
            lo = int(arr["tx_first_in"][t])
            nxt = [int(arr["out_address"][int(arr["in_spent"][j])])
                   for j in range(lo, lo + int(arr["tx_n_in"][t])) if int(arr["in_spent"][j]) >= 0]
        out += [(b, t) for b in nxt if b >= 0]
    return out


def reference_sweeps(arr: dict, deposit_ids: list[int], n_addr: int) -> set[int]:
    """Addresses paid by any transaction spending a deposit address (the exchange's wallets)."""
    out: set[int] = set()
    for a in deposit_ids:
        if a < 0:
            continue
        for b, _ in _neighbours(a, 0, arr, -1, 1 << 62):
            out.add(b)
    return out


def reference_links(arr: dict, seeds: list[tuple[int, int, int, int]], is_customer: np.ndarray,
                    max_hops: int, hub_limit: int, t_lo: int, t_hi: int,
                    no_cross: set[int] = frozenset()) -> set[tuple[int, int, int, int]]:
    """Links {(target, customer address id, hops, direction)} from seeds (target, dir, addr, hop)."""
    groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for target, d, a, hop in seeds:
        groups.setdefault((target, d), []).append((a, hop))
    found: set[tuple[int, int, int, int]] = set()
    for (target, d), starts in groups.items():
        seen: dict[int, int] = {}
        queue: deque[tuple[int, int]] = deque()
        for a, hop in starts:
            if a >= 0 and a not in seen:
                seen[a] = hop
                queue.append((a, hop))
                if is_customer[a] and (hop > 0 or d == 0):
                    found.add((target, a, hop, d))
        while queue:
            a, h = queue.popleft()
            if h >= max_hops or (h > 0 and (is_customer[a] or a in no_cross)):
                continue
            if h > 0 and int(arr["ao_start"][a + 1]) - int(arr["ao_start"][a]) > hub_limit:
                continue
            for b, _ in _neighbours(a, d, arr, t_lo, t_hi):
                if b in seen:
                    continue
                seen[b] = h + 1
                queue.append((b, h + 1))
                if is_customer[b]:
                    found.add((target, b, h + 1, d))
    return found
