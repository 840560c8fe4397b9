"""Sorted runs of (hash A, hash B, address id), as ``known_addresses`` keeps
them: merging two runs into one, and finding the ids of queries (sorted by hash A)
in a run. Runs are sorted by hash A only; entries sharing a hash A (a
collision of the first hash) sit side by side and are told apart by hash B.
Plain twins below, used by the tests."""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True)
def merge_runs(a1, b1, i1, a2, b2, i2, oa, ob, oi):
    """Merge run 1 and run 2 (each sorted by hash A) into the outputs (sorted by hash A; among
    equal hash A, run 1's entries first)."""
    n1 = a1.shape[0]
    n2 = a2.shape[0]
    p = 0
    q = 0
    k = 0
    while p < n1 and q < n2:
        if a2[q] < a1[p]:
            oa[k] = a2[q]
            ob[k] = b2[q]
            oi[k] = i2[q]
            q += 1
        else:
            oa[k] = a1[p]
            ob[k] = b1[p]
            oi[k] = i1[p]
            p += 1
        k += 1
    while p < n1:
        oa[k] = a1[p]
        ob[k] = b1[p]
        oi[k] = i1[p]
        p += 1
        k += 1
    while q < n2:
        oa[k] = a2[q]
        ob[k] = b2[q]
        oi[k] = i2[q]
        q += 1
        k += 1


@njit(cache=True, nogil=True)
def find_sorted(qa, qb, key, key2, ids, out):
    """For queries sorted by hash A: out[j] = the id of (qa[j], qb[j]) in the run, where it is
    there (out is left as it was elsewhere). Each search gallops on from the previous query's
    place, so the run is read forward, near where the last search ended."""
    n = key.shape[0]
    p = 0
    for j in range(qa.shape[0]):
        a = qa[j]
        if p < n and key[p] < a:  # every key before p is below a: gallop, then bisect
            step = 1
            while p + step < n and key[p + step] < a:
                p += step
                step *= 2
            lo = p + 1
            hi = min(p + step, n)
            while lo < hi:
                mid = (lo + hi) >> 1
                if key[mid] < a:
                    lo = mid + 1
                else:
                    hi = mid
            p = lo
        q = p
        while q < n and key[q] == a:
            if key2[q] == qb[j]:
                out[j] = ids[q]
                break
            q += 1


def merge_runs_reference(a1, b1, i1, a2, b2, i2) -> tuple[list[int], list[int], list[int]]:
    """The same merge in plain Python (stable: run 1 first among equal hash A)."""
    rows = [(int(a), 0, k, int(b), int(i)) for k, (a, b, i) in enumerate(zip(a1, b1, i1))]
    rows += [(int(a), 1, k, int(b), int(i)) for k, (a, b, i) in enumerate(zip(a2, b2, i2))]
    rows.sort()
    return [r[0] for r in rows], [r[3] for r in rows], [r[4] for r in rows]


def find_reference(qa, qb, key, key2, ids) -> list[int]:
    """The id of each query in the run by a dictionary, -1 where absent."""
    table = {(int(a), int(b)): int(i) for a, b, i in zip(key, key2, ids)}
    return [table.get((int(a), int(b)), -1) for a, b in zip(qa, qb)]
