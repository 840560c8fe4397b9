"""Union-find over address ids (path halving, union by size) and the one
sequential pass that clusters a store: for every transaction in chain
order, the multi-input links of its inputs; between them, the change links
that fall due (a change link of transaction t is decided and applied a
fixed number of blocks after t, see ``schedule``). Every successful union
records the transaction and heuristic behind it (the evidence edges that
``cluster why`` walks); every refused one records why.

The guard refuses a union when
  * both clusters hold a different attributed service (``svc``, from tags),
  * for a change link: another output of the transaction already pays the
    inputs' cluster (so that output is the change, not the one proposed),
  * for a change link: a cannot-link constraint joins the two clusters
    (recorded earlier between a sender and the payees of its transactions).

The kernel stops early (returning where it got to) when an output buffer
is full, so the caller can grow the buffers and resume.

During the pass a root's ``parent`` entry holds minus the size of its
cluster (``encode_roots`` before, ``decode_roots`` after), so one memory
read tells whether x is a root and how big its cluster is; and the
``parent`` entries of the inputs of a transaction some steps ahead, and
those a change event some events ahead will read, are prefetched.
Union-find at 10 M transactions is bound by the latency of these random
reads, not by the work done.

Pure-Python twin: ``unionfind_reference``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from chaintrail.cluster.prefetch import prefetch
from chaintrail.heuristics.codes import (
    EV_CHANGE,
    EV_MULTI_INPUT,
    REFUSE_CANNOT_LINK,
    REFUSE_OTHER_OUTPUT,
    REFUSE_TAGS,
)

#: indices of the small int64 cursor array shared with the caller
C_POS = 0  # next transaction whose multi-input links are to be made
C_EVENT = 1  # next change event to apply
C_NEV = 2  # evidence edges written
C_NREF = 3  # refusals written
C_NCL = 4  # cannot-link entries written
N_CURSOR = 5

#: service label of a cluster that already holds several services (an unguarded merge)
SVC_SEVERAL = -2

#: flags
F_MI_GUARD = 1  # multi-input unions obey the tag guard
F_CANNOT_LINK = 2  # record cannot-link constraints and obey them in change links
F_OTHER_OUTPUT = 4  # refuse a change link when another output already pays the inputs' cluster
F_CL_MULTI_INPUT = 8  # multi-input unions obey the cannot-link constraints too

#: how many transactions ahead the pass prefetches the parent entries of the inputs
LOOKAHEAD = 24
#: how many change events ahead it prefetches the parent entries an event reads (and, half as
#: far ahead, the entries those point to)
LOOKAHEAD_EVENTS = 16


@njit(cache=True, nogil=True, inline="always")
def find(parent, x):
    """Root of x, halving the path on the way."""
    while parent[x] != x:
        g = parent[parent[x]]
        parent[x] = g
        x = g
    return x


@njit(cache=True, nogil=True, inline="always")
def _svc_clash(x, y):
    """Whether clusters with service labels x and y (-1 none, -2 several) must stay apart."""
    return x != -1 and y != -1 and (x != y or x == SVC_SEVERAL)


@njit(cache=True, nogil=True, inline="always")
def _svc_merge(x, y):
    """The service label of the union (SVC_SEVERAL when an unguarded merge joined two)."""
    if x == -1:
        return y
    if y == -1 or x == y:
        return x
    return SVC_SEVERAL


@njit(cache=True, nogil=True, inline="always")
def _find(parent, x):
    """Root of x while roots are encoded (parent[root] = -size), halving the path on the way:
    the same writes as ``find`` does on the plain array."""
    while True:
        p = parent[x]
        if p < 0:
            return x
        g = parent[p]
        if g < 0:
            return p
        parent[x] = g
        x = g


@njit(cache=True, nogil=True)
def encode_roots(parent, size):
    """parent[r] = -size[r] for every root r (parent[r] == r), for the pass."""
    for x in range(parent.shape[0]):
        if parent[x] == x:
            parent[x] = -size[x]


@njit(cache=True, nogil=True)
def decode_roots(parent, size):
    """Undo ``encode_roots``: size[r] = -parent[r], parent[r] = r for every root r."""
    for x in range(parent.shape[0]):
        if parent[x] < 0:
            size[x] = -parent[x]
            parent[x] = x


@njit(cache=True, nogil=True, inline="always")
def _link(parent, size, svc, cl_head, cl_tail, cl_count, cl_next, ra, rb):
    """Make the larger of two roots the parent of the other (roots encoded); merge their guard
    state. The child's size is frozen in ``size`` (as the plain union by size leaves it)."""
    sa = -parent[ra]
    sb = -parent[rb]
    if sa < sb or (sa == sb and rb < ra):
        ra, rb = rb, ra
        sa, sb = sb, sa
    parent[rb] = ra
    parent[ra] = -(sa + sb)
    size[rb] = sb
    if svc.shape[0] > 0:
        svc[ra] = _svc_merge(svc[ra], svc[rb])
    if cl_head.shape[0] > 0 and cl_count[rb] > 0:
        if cl_count[ra] == 0:
            cl_head[ra] = cl_head[rb]
        else:
            cl_next[cl_tail[ra]] = cl_head[rb]
        cl_tail[ra] = cl_tail[rb]
        cl_count[ra] += cl_count[rb]
        cl_count[rb] = 0
    return ra


@njit(cache=True, nogil=True)
def _constrained(parent, cl_head, cl_count, cl_next, cl_other, ra, rb):
    """Whether a cannot-link entry joins the clusters of roots ra and rb."""
    if cl_head.shape[0] == 0 or cl_count[ra] == 0 or cl_count[rb] == 0:
        return False
    if cl_count[ra] > cl_count[rb]:
        ra, rb = rb, ra
    e = cl_head[ra]
    for _ in range(cl_count[ra]):
        if _find(parent, cl_other[e]) == rb:
            return True
        e = cl_next[e]
    return False


@njit(cache=True, nogil=True)
def _add_constraint(parent, cl_head, cl_tail, cl_count, cl_next, cl_other, cur, x, y):
    """A cannot-link entry from x's cluster to y, and one from y's cluster to x."""
    for k in range(2):
        a = x if k == 0 else y
        b = y if k == 0 else x
        r = _find(parent, a)
        e = cur[C_NCL]
        cur[C_NCL] = e + 1
        cl_other[e] = b
        cl_next[e] = -1
        if cl_count[r] == 0:
            cl_head[r] = e
        else:
            cl_next[cl_tail[r]] = e
        cl_tail[r] = e
        cl_count[r] += 1


@njit(cache=True, nogil=True, inline="always")
def _first_input_address(t, tx_first_in, tx_n_in, in_base, in_addr):
    """The address of t's first input that has one, or -1 (inlined: read three times per
    change event)."""
    for k in range(tx_first_in[t] - in_base, tx_first_in[t] - in_base + tx_n_in[t]):
        if in_addr[k] >= 0:
            return in_addr[k]
    return -1


@njit(cache=True, nogil=True, inline="always")
def _prefetch_entry(parent, x, deep):
    """Prefetch parent[x] (x >= 0), or with deep the entry parent[x] points to."""
    if x < 0:
        return
    if not deep:
        prefetch(parent, x)
    elif parent[x] >= 0:
        prefetch(parent, parent[x])


@njit(cache=True, nogil=True, inline="always")
def _prefetch_event(parent, t, deep, tx_first_in, tx_n_in, tx_first_out, tx_n_out, in_base, in_addr,
                    out_address):
    """Prefetch the parent entries of the addresses a change event of tx t reads (its outputs' and
    its first input's); deep: the entries those point to (read now: fetched some events ago)."""
    for o in range(tx_first_out[t], tx_first_out[t] + tx_n_out[t]):
        _prefetch_entry(parent, out_address[o], deep)
    _prefetch_entry(parent, _first_input_address(t, tx_first_in, tx_n_in, in_base, in_addr), deep)


@njit(cache=True, nogil=True)
def cluster_pass(end, n_events_due, skip, ev_tx, ev_due, ev_out, ev_support, tx_first_in, tx_n_in,
                 tx_first_out, tx_n_out, in_base, in_addr, out_address, parent, size, svc, cl_head, cl_tail,
                 cl_count, cl_next, cl_other, flags, cur, e_tx, e_a, e_b, e_kind, e_sup, r_tx, r_a,
                 r_b, r_kind, r_reason):
    """Multi-input links of txs cur[C_POS]..end-1, with the change events ev[cur[C_EVENT]:
    n_events_due] applied just before the tx of index ev_due (events due at `end` last).
    parent: roots encoded (``encode_roots``). Returns True when done, False when a buffer
    filled up (cursor says where it stopped)."""
    cap_ev = e_tx.shape[0]
    cap_ref = r_tx.shape[0]
    cap_cl = cl_other.shape[0]
    tags = svc.shape[0] > 0
    cl_on = (flags & F_CANNOT_LINK) != 0 and cl_head.shape[0] > 0
    cl_mi = (flags & F_CL_MULTI_INPUT) != 0 and cl_head.shape[0] > 0
    u = cur[C_POS]
    k = cur[C_EVENT]
    while True:
        while k < n_events_due and ev_due[k] <= u:
            t = ev_tx[k]
            need_cl = 2 * tx_n_out[t] if (flags & F_CANNOT_LINK) != 0 else 0
            if cur[C_NEV] + 1 > cap_ev or cur[C_NREF] + 1 > cap_ref or cur[C_NCL] + need_cl > cap_cl:
                cur[C_POS] = u
                cur[C_EVENT] = k
                return False
            # what the events ahead will read, fetched while this one is applied
            if k + LOOKAHEAD_EVENTS < n_events_due:
                _prefetch_event(parent, ev_tx[k + LOOKAHEAD_EVENTS], False, tx_first_in, tx_n_in,
                                tx_first_out, tx_n_out, in_base, in_addr, out_address)
            if k + LOOKAHEAD_EVENTS // 2 < n_events_due:
                _prefetch_event(parent, ev_tx[k + LOOKAHEAD_EVENTS // 2], True, tx_first_in, tx_n_in,
                                tx_first_out, tx_n_out, in_base, in_addr, out_address)
            # change event k: link the tx's first input address with its change address
            c = out_address[ev_out[k]]
            a = _first_input_address(t, tx_first_in, tx_n_in, in_base, in_addr)
            if a >= 0 and c >= 0:
                ra = _find(parent, a)
                rc = _find(parent, c)
                reason = 0
                if ra != rc and (flags & F_OTHER_OUTPUT) != 0:
                    for o in range(tx_first_out[t], tx_first_out[t] + tx_n_out[t]):
                        x = out_address[o]
                        if o != ev_out[k] and x >= 0 and x != c and _find(parent, x) == ra:
                            reason = REFUSE_OTHER_OUTPUT
                            break
                if reason == 0 and ra != rc:
                    if tags and _svc_clash(svc[ra], svc[rc]):
                        reason = REFUSE_TAGS
                    elif cl_on and _constrained(parent, cl_head, cl_count, cl_next, cl_other, ra, rc):
                        reason = REFUSE_CANNOT_LINK
                if reason != 0:
                    j = cur[C_NREF]
                    r_tx[j] = t
                    r_a[j] = a
                    r_b[j] = c
                    r_kind[j] = EV_CHANGE
                    r_reason[j] = reason
                    cur[C_NREF] = j + 1
                elif ra != rc:
                    _link(parent, size, svc, cl_head, cl_tail, cl_count, cl_next, ra, rc)
                    j = cur[C_NEV]
                    e_tx[j] = t
                    e_a[j] = a
                    e_b[j] = c
                    e_kind[j] = EV_CHANGE
                    e_sup[j] = ev_support[k]
                    cur[C_NEV] = j + 1
                if cl_on and reason != REFUSE_OTHER_OUTPUT:
                    # the other outputs are payees: they never join the sender's cluster by change
                    for o in range(tx_first_out[t], tx_first_out[t] + tx_n_out[t]):
                        x = out_address[o]
                        if o != ev_out[k] and x >= 0 and _find(parent, x) != _find(parent, a):
                            _add_constraint(parent, cl_head, cl_tail, cl_count, cl_next, cl_other,
                                            cur, a, x)
            k += 1
        if u >= end:
            break
        v = u + LOOKAHEAD
        if v < end and not skip[v] and tx_n_in[v] > 1:
            for kk in range(tx_first_in[v] - in_base, tx_first_in[v] - in_base + tx_n_in[v]):
                if in_addr[kk] >= 0:
                    prefetch(parent, in_addr[kk])
        if not skip[u] and tx_n_in[u] > 1:
            n = tx_n_in[u]
            if cur[C_NEV] + n > cap_ev or cur[C_NREF] + n > cap_ref:
                cur[C_POS] = u
                cur[C_EVENT] = k
                return False
            # the multi-input links of tx u (written out here: a call per tx costs more than
            # the links themselves); ra: the root of the first input's cluster, found at the
            # second input and kept up to date across the links
            first = -1
            ra = -1
            k0 = tx_first_in[u] - in_base
            for kk in range(k0, k0 + n):
                x = in_addr[kk]
                if x < 0:
                    continue
                if first < 0:
                    first = x
                    continue
                if ra < 0:
                    ra = _find(parent, first)
                rb = _find(parent, x)
                if ra == rb:
                    continue
                refuse = 0
                if tags and (flags & F_MI_GUARD) != 0 and _svc_clash(svc[ra], svc[rb]):
                    refuse = REFUSE_TAGS
                elif cl_mi and _constrained(parent, cl_head, cl_count, cl_next, cl_other, ra, rb):
                    refuse = REFUSE_CANNOT_LINK
                if refuse != 0:
                    j = cur[C_NREF]
                    r_tx[j] = u
                    r_a[j] = first
                    r_b[j] = x
                    r_kind[j] = EV_MULTI_INPUT
                    r_reason[j] = refuse
                    cur[C_NREF] = j + 1
                    continue
                ra = _link(parent, size, svc, cl_head, cl_tail, cl_count, cl_next, ra, rb)
                j = cur[C_NEV]
                e_tx[j] = u
                e_a[j] = first
                e_b[j] = x
                e_kind[j] = EV_MULTI_INPUT
                e_sup[j] = 0
                cur[C_NEV] = j + 1
        u += 1
    cur[C_POS] = u
    cur[C_EVENT] = k
    return True


@njit(cache=True, nogil=True)
def all_roots(parent, out):
    """out[x] = root of x for every x (compressing every path)."""
    for x in range(parent.shape[0]):
        out[x] = find(parent, x)


def dense_clusters(parent, dense, cluster_min, cluster_root) -> int:
    """Number the clusters 0.. in order of their smallest address (which is their cluster id):
    dense[x] = cluster index of x, cluster_min[k] = smallest address of cluster k,
    cluster_root[k] = its union-find root. Compresses parent's paths. Returns the count.
    The roots are found on every core; the numbering is one sequential pass."""
    roots = np.empty_like(dense)
    roots_kernel(parent, roots)
    label = np.full(dense.shape[0], -1, dense.dtype)
    return int(number_kernel(roots, label, dense, cluster_min, cluster_root, parent))


@njit(cache=True, nogil=True)
def _root(parent, x):
    """Root of x, without changing parent."""
    r = parent[x]
    while parent[r] != r:
        r = parent[r]
    return r


@njit(cache=True, nogil=True, parallel=True)
def roots_kernel(parent, roots):
    """roots[x] = root of x (parent read only)."""
    n = parent.shape[0]
    for x in prange(n):
        if x + LOOKAHEAD < n:
            prefetch(parent, parent[x + LOOKAHEAD])
        roots[x] = _root(parent, np.int64(x))


@njit(cache=True, nogil=True)
def number_kernel(roots, label, dense, cluster_min, cluster_root, parent):
    """Number the clusters by their smallest address in one pass over the addresses (a root is
    numbered when first met), setting dense[x] and parent[x] = root. label: -1 per address on
    entry (scratch: the number of each root). Returns the count."""
    n = roots.shape[0]
    k = 0
    for x in range(n):
        if x + LOOKAHEAD < n:
            prefetch(label, roots[x + LOOKAHEAD])
        q = roots[x]
        j = label[q]
        if j < 0:
            j = k
            label[q] = k
            cluster_min[k] = x
            cluster_root[k] = q
            k += 1
        dense[x] = j
        parent[x] = q
    return k


@njit(cache=True, nogil=True)
def multi_input_only(skip, tx_first_in, tx_n_in, in_addr, parent, size):
    """The plain multi-input heuristic over every tx not skipped (no evidence, no guard);
    in_addr: the spent address of every input (input_facts, from input 0)."""
    for t in range(skip.shape[0]):
        if skip[t]:
            continue
        first = -1
        for k in range(tx_first_in[t], tx_first_in[t] + tx_n_in[t]):
            x = in_addr[k]
            if x < 0:
                continue
            if first < 0:
                first = x
                continue
            ra = find(parent, first)
            rb = find(parent, x)
            if ra != rb:
                if size[ra] < size[rb]:
                    ra, rb = rb, ra
                parent[rb] = ra
                size[ra] += size[rb]
