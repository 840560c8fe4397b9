"""The analysis verbs as the shells call them: clusters, tags, screening,
trace, exposure and the privacy audit, each a call into its room (through
``rooms.room_function``, so a missing room answers 501), shared by the REST
routes, the web pages and the HTML report."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from chaintrail.api.limits import Page
from chaintrail.api.problems import Problem
from chaintrail.api.rooms import has_attribution, has_clustering, need_clustering, room_function
from chaintrail.chain import Chain
from chaintrail.errors import NotFoundError


# --- clusters ------------------------------------------------------------------
def clusters_handle(chain: Chain):
    """The clustering room's reader (`chaintrail.cluster.query.Clusters`)."""
    need_clustering(chain)
    return room_function("chaintrail.cluster.query", "Clusters", "clustering")(chain)


def cluster_of_address(clusters, address_id: int) -> int | None:
    """The cluster id of an address id, or None when the clustering does not cover it."""
    if clusters is None or address_id >= clusters.dense.shape[0]:
        return None
    return clusters.cluster_of_id(address_id)


def cluster_exists(clusters, cluster_id: int) -> bool:
    """Whether a cluster id names a cluster of the clustering."""
    try:
        clusters.ref(str(int(cluster_id)))
        return True
    except NotFoundError:
        return False


def cluster_summary(chain: Chain, clusters, cluster_id: int) -> dict:
    """A cluster's figures (the `clusters` view row) and its propagated labels."""
    ref = clusters.ref(str(cluster_id))
    out = dict(clusters.summary(ref))
    out["labels"] = []
    out["suspected_false_merge"] = None
    if has_attribution(chain):
        labels = room_function("chaintrail.attribution.propagation", "cluster_labels", "cluster labels")
        out["labels"] = labels(chain, ref.cluster_id)
        merges = room_function("chaintrail.attribution.propagation", "suspected_false_merges",
                               "false-merge checks")
        out["suspected_false_merge"] = (merges(chain, ref.cluster_id) or [None])[0]
    return out


def cluster_members(clusters, cluster_id: int, page: Page) -> dict:
    """A page of a cluster's addresses (from the members CSR: constant time at any size)."""
    ref = clusters.ref(str(cluster_id))
    lo, hi = int(clusters.start[ref.index]), int(clusters.start[ref.index + 1])
    a = lo + min(page.offset, hi - lo)
    ids = np.asarray(clusters.members[a:min(hi, a + page.limit)])
    return page.envelope(clusters.address_rows(ids), hi - lo)


def cluster_why(clusters, a: str, b: str) -> dict:
    """The chain of merges linking two addresses (`chaintrail cluster why`)."""
    return clusters.why(a, b)


# --- attribution ---------------------------------------------------------------
def tags_of(chain: Chain, ref: str) -> dict:
    """Tags, sanctions and cluster labels of an address, or labels of a cluster id."""
    if not has_attribution(chain):
        raise Problem(404, "no tags imported in this store (run `chaintrail tags import`)", "no-tags")
    if ref.isdigit():
        need_clustering(chain)
    return room_function("chaintrail.attribution.service", "show_tags", "tags")(chain, ref)


def screen(screener, addresses: list[str], fail_on: str, full_up_to: int = 1000) -> dict:
    """Screen addresses: counts, and each address's result (only the hits and errors when the
    batch is larger than `full_up_to`)."""
    if len(addresses) <= full_up_to:
        results = screener.screen(addresses)
        items = [{"index": i, **r.to_dict(), "hit": r.is_hit(fail_on)} for i, r in enumerate(results)]
        hits = sum(1 for x in items if x["hit"])
        errors = sum(1 for x in items if not x["hit"] and not x["valid"])
        counts = {"addresses": len(items), "hits": hits, "errors": errors,
                  "clean": len(items) - hits - errors}
        return {"fail_on": fail_on, "counts": counts, "results": items, "clean_omitted": False}
    out = screener.screen_batch(addresses)
    items = [{"index": i, **r.to_dict(), "hit": r.is_hit(fail_on)} for i, r in sorted(out.results.items())]
    return {"fail_on": fail_on, "counts": out.counts(fail_on), "results": items, "clean_omitted": True}


def make_screener(chain: Chain):
    """The attribution room's screener for a chain view."""
    return room_function("chaintrail.attribution.screening", "Screener", "screening")(chain)


# --- tracing -------------------------------------------------------------------
def resolver_for(chain: Chain):
    """The trace room's entity resolver (tags by address and cluster)."""
    return room_function("chaintrail.trace.api", "resolver", "tracing")(chain)


def run_trace(chain: Chain, resolver, start: str, direction: str, policy: str, max_hops: int,
              min_value: int, budget: int, stop_at: str | None, level: str) -> Any:
    """A trace (`chaintrail.trace.api.trace`), with the server's shared entity resolver."""
    trace = room_function("chaintrail.trace.api", "trace", "tracing")
    kw = dict(direction=direction, policy=policy, max_hops=max_hops, min_value=min_value,
              budget=budget, stop_at=stop_at or None, level=level)
    if "resolver" in inspect.signature(trace).parameters:
        return trace(chain, start, resolver=resolver, **kw)
    # until api.trace takes a resolver: the same two calls it makes, with the shared one
    resolve_start = room_function("chaintrail.trace.start", "resolve_start", "tracing")
    engine = room_function("chaintrail.trace.engine", "run_trace", "tracing")
    return engine(chain, resolve_start(chain, start), direction, policy, max_hops, min_value,
                  budget, stop_at or None, level, resolver)


def exposure(chain: Chain, resolver, target: str, direction: str, max_hops: int, policy: str,
             explain: bool) -> dict:
    """Direct and indirect exposure of an address or cluster (`chaintrail.trace.exposure`)."""
    fn = room_function("chaintrail.trace.api", "exposure", "exposure")
    rep = fn(chain, target, direction, max_hops=max_hops, policy=policy, explain=explain,
             resolver=resolver)
    return rep.to_dict()


def privacy_audit(chain: Chain, resolver, addresses: list[str], hops: int, policies: list[str],
                  threshold: float):
    """The privacy audit of an organisation's addresses (`chaintrail.trace.privacy_audit`)."""
    fn = room_function("chaintrail.trace.api", "privacy_audit", "the privacy audit")
    return fn(chain, addresses, hops=hops, policies=tuple(policies), threshold=threshold,
              resolver=resolver)


def rooms_status(chain: Chain) -> dict:
    """Which analysis rooms the store holds data of."""
    return {"clustering": has_clustering(chain), "attribution": has_attribution(chain)}
