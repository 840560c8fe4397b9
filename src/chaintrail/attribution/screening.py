"""Address screening: is this address, or the wallet (cluster) behind it,
on a sanctions list or tagged?

Per address: direct hits (list, entity, programme, listed since), tags,
and cluster hits (another address of the same cluster that is listed or
tagged, with the command that explains the link). Works for addresses the
store never saw: list and tag hits need no outputs on chain; cluster hits
need the store's clustering.

Batches go through a hash index first, so only candidate addresses reach
the SQL that gathers the details.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chaintrail.attribution.address_file import read_address_file
from chaintrail.attribution.addresses import check_addresses, invalid_reason
from chaintrail.attribution.screen_index import ScreenIndex
from chaintrail.attribution.screen_policy import FAIL_ON, is_hit
from chaintrail.bitcoin.networks import MAINNET
from chaintrail.chain import Chain

__all__ = ["BatchOutcome", "FAIL_ON", "ScreenResult", "Screener", "exit_status", "read_address_file"]
_INDEX_FROM = 256  # batches at least this large are prefiltered by the hash index
WHY_MAX = 3  # cluster hits per address that carry the merge evidence itself
_LITERAL_MAX = 1000  # up to this many candidate hashes are written into the SQL


@dataclass
class ScreenResult:
    """What screening found for one address."""

    address: str
    valid: bool
    error: str | None = None
    sanctions: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    cluster_id: int | None = None
    cluster_sanctions: list[dict] = field(default_factory=list)
    cluster_tags: list[dict] = field(default_factory=list)
    formerly_listed: list[dict] = field(default_factory=list)

    def kinds(self) -> list[str]:
        """The kinds of hit: sanctioned, tagged, cluster_sanctioned, cluster_tagged."""
        out = []
        for k, v in (("sanctioned", self.sanctions), ("tagged", self.tags),
                     ("cluster_sanctioned", self.cluster_sanctions),
                     ("cluster_tagged", self.cluster_tags)):
            if v:
                out.append(k)
        return out

    def is_hit(self, fail_on: str = "any") -> bool:
        """A hit under the policy: any list or tag, abuse tags and lists, or lists only."""
        return is_hit({k: getattr(self, k) for k in _KINDS}, fail_on)

    @property
    def status(self) -> str:
        if self.kinds():
            return "hit"
        return "error" if not self.valid else "clean"

    def to_dict(self) -> dict:
        return {"address": self.address, "status": self.status, "valid": self.valid,
                "error": self.error, "hits": self.kinds(), "sanctions": self.sanctions,
                "tags": self.tags, "cluster_id": self.cluster_id,
                "cluster_sanctions": self.cluster_sanctions, "cluster_tags": self.cluster_tags,
                "formerly_listed": self.formerly_listed}


# detail tables of a screening, each with the input position ``i`` of its rows
_KINDS = ("sanctions", "formerly_listed", "tags", "cluster_sanctions", "cluster_tags")

#: an address's own hits, per kind: its fields, their order, and the rows for the queried
#: addresses ``screen_q`` (i, address, h) from the views named in braces. The screening snapshot
#: aggregates the same queries, so the instant screen reports exactly the same.
DIRECT_QUERIES = {
    "sanctions": (
        ("list", "version", "list_date", "listed_since", "entity", "entity_id", "entity_type", "programs",
         "listed_valid"),
        "list, entity_id, entity",
        """SELECT q.i, s.list, s.version, CAST(s.list_date AS VARCHAR) AS list_date,
                  CAST(s.listed_since AS VARCHAR) AS listed_since, s.entity, s.entity_id,
                  s.entity_type, s.programs, s.valid AS listed_valid
           FROM screen_q q JOIN {sanctions} s ON s.address_hash = q.h AND s.address = q.address"""),
    "formerly_listed": (
        ("list", "first_listed", "last_listed"),
        "list",
        """SELECT q.i, a.list, CAST(min(a.list_date) AS VARCHAR) AS first_listed,
                  CAST(max(a.list_date) AS VARCHAR) AS last_listed
           FROM screen_q q JOIN {sanctions_all} a ON a.address_hash = q.h AND a.address = q.address
           ANTI JOIN {sanctions} s ON s.list = a.list AND s.address = a.address
           GROUP BY q.i, a.list"""),
    "tags": (
        ("label", "category", "abuse", "actor", "source", "confidence", "confidence_score", "pack"),
        "confidence_score DESC, label, pack, source, actor, category, abuse, confidence",
        """SELECT q.i, t.label, t.category, t.abuse, t.actor, t.source, t.confidence,
                  t.confidence_score, t.pack
           FROM screen_q q JOIN {tags} t ON t.address_hash = q.h AND t.address = q.address"""),
}


@dataclass
class BatchOutcome:
    """A screened batch: per input position, the hits and errors (clean inputs have no entry).

    Details stay in Arrow tables until ``results`` turns them into ScreenResults.
    """

    n: int
    rows: np.ndarray  # input positions examined (candidates and invalid ones)
    addresses: list[str]  # their text
    valid: np.ndarray  # their validity
    details: dict[str, pa.Table]
    cluster_ids: dict[int, int]
    screener: Screener | None = None
    _results: dict[int, ScreenResult] | None = None

    def hit_rows(self, fail_on: str = "any") -> np.ndarray:
        """Input positions that are hits under the policy."""
        sets = [self.details["sanctions"]["i"], self.details["cluster_sanctions"]["i"]]
        if fail_on == "any":
            sets += [self.details["tags"]["i"], self.details["cluster_tags"]["i"]]
        elif fail_on == "abuse":
            for k in ("tags", "cluster_tags"):
                t = self.details[k]
                if "abuse" in t.column_names:
                    sets.append(t.filter(pc.is_valid(t["abuse"]))["i"])
        parts = [np.asarray(c.to_numpy(zero_copy_only=False), np.int64) for c in sets]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)

    def counts(self, fail_on: str = "any") -> dict[str, int]:
        hits = self.hit_rows(fail_on)
        invalid = self.rows[~self.valid]
        errors = int(np.setdiff1d(invalid, hits).size)
        return {"addresses": self.n, "hits": int(hits.size), "errors": errors,
                "clean": self.n - int(hits.size) - errors}

    @property
    def results(self) -> dict[int, ScreenResult]:
        """ScreenResults of the inputs that are not clean, by input position."""
        if self._results is None:
            found = _results(self.rows, self.addresses, self.valid, self.details, self.cluster_ids,
                             self.screener)
            self._results = {i: r for i, r in found.items() if r.status != "clean"}
        return self._results


def _as_array(addresses) -> pa.Array:
    arr = addresses if isinstance(addresses, (pa.Array, pa.ChunkedArray)) else pa.array(
        [str(a) for a in addresses], pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pc.utf8_trim_whitespace(arr.cast(pa.string()))


def exit_status(results, fail_on: str = "any") -> int:
    """0 all clean, 1 any hit, 2 an address could not be screened (and nothing hit)."""
    results = list(results)
    if any(r.is_hit(fail_on) for r in results):
        return 1
    return 2 if any(not r.valid for r in results) else 0


def _arrow(rel) -> pa.Table:
    out = rel.arrow()
    return out if isinstance(out, pa.Table) else out.read_all()


def _results(rows: np.ndarray, addresses: list[str], valid: np.ndarray,
             details: dict[str, pa.Table], cluster_ids: dict[int, int],
             screener: Screener | None) -> dict[int, ScreenResult]:
    """ScreenResults of the examined rows, their details filled in from the tables."""
    network = screener.network if screener else MAINNET
    found = {int(i): ScreenResult(a, bool(v)) for i, a, v in zip(rows, addresses, valid)}
    for r in found.values():
        if not r.valid:
            r.error = invalid_reason(r.address, network) or "invalid address"
    for i, cid in cluster_ids.items():
        found[i].cluster_id = cid
    for kind in _KINDS:
        for row in details[kind].to_pylist():
            r = found[row.pop("i")]
            bucket = getattr(r, kind)
            member = row.get("member")
            if member and kind.startswith("cluster_"):
                row["evidence"] = f"chaintrail cluster why {r.address} {member}"
                if screener is not None and screener._clusters is not False and len(bucket) < WHY_MAX:
                    row["why"] = screener.why(r.address, member)
            bucket.append(row)
    return found


class Screener:
    """Screens addresses against the tags and sanctions lists of a store."""

    def __init__(self, chain: Chain):
        self.chain = chain
        self.network = chain.network or MAINNET
        self._index: ScreenIndex | None = None
        extra = chain._store.manifest.extra
        self.has_clusters = bool(extra.get("clusters", {}).get("address_cluster_file"))
        self.has_attribution = "attribution" in extra
        self._clusters: object | None = None

    def why(self, a: str, b: str) -> dict | None:
        """The clustering's evidence linking two addresses (the steps of `cluster why`), when it has some."""
        try:
            if self._clusters is None:
                from chaintrail.cluster.query import Clusters

                self._clusters = Clusters(self.chain)
            return self._clusters.why(a, b)
        except Exception:  # a clustering without merge evidence (or none): the command is still named
            self._clusters = False
            return None

    def index(self) -> ScreenIndex:
        """The hash index of every tagged and currently listed address (built once)."""
        if self._index is None:
            t = _arrow(self.chain.sql("SELECT address_hash FROM tags WHERE address IS NOT NULL "
                                      "UNION ALL SELECT address_hash FROM sanctions"))
            self._index = ScreenIndex(t.column(0).to_numpy())
        return self._index

    def screen(self, addresses) -> list[ScreenResult]:
        """Screen addresses (a list or an Arrow string array); one result per input, in order."""
        arr = _as_array(addresses)
        outcome = self._screen(arr, everything=True)
        found = _results(outcome.rows, outcome.addresses, outcome.valid, outcome.details,
                         outcome.cluster_ids, self)
        return [found.get(i) or ScreenResult(a, True) for i, a in enumerate(arr.to_pylist())]

    def screen_batch(self, addresses) -> BatchOutcome:
        """Screen many addresses; details only for the candidates and the invalid ones."""
        return self._screen(_as_array(addresses), everything=False)

    def _screen(self, arr: pa.Array, everything: bool) -> BatchOutcome:
        check = check_addresses(arr, self.network)
        rows = np.arange(len(arr))
        if self.has_attribution and (not everything or len(arr) >= _INDEX_FROM):
            cand = self.index().candidates(check.hashes)
            if self.has_clusters:
                cand |= check.valid
            rows = np.nonzero(cand | ~check.valid)[0]
        elif not self.has_attribution:
            rows = np.nonzero(~check.valid)[0]
        taken = arr.take(pa.array(rows, pa.int64()))
        details = {k: pa.table({"i": pa.array([], pa.int64())}) for k in _KINDS}
        cluster_ids: dict[int, int] = {}
        if self.has_attribution and rows.size:
            q = pa.table({"i": pa.array(rows, pa.int64()),
                          "address": _canonical(taken, self.network.hrp),
                          "h": pa.array(check.hashes[rows], pa.uint64())})
            details, cluster_ids = self._details(q)
        return BatchOutcome(len(arr), rows, taken.to_pylist(), check.valid[rows], details,
                            cluster_ids, self)

    def _details(self, q: pa.Table) -> tuple[dict[str, pa.Table], dict[int, int]]:
        con = self.chain._con
        con.register("screen_q", q)
        cluster_ids: dict[int, int] = {}
        try:
            hashes = np.unique(q.column("h").to_numpy())
            out = self._direct_details(con, hashes if hashes.size <= _LITERAL_MAX else None)
            if self.has_clusters:
                cluster_ids = self._cluster_details(con, out)
            else:
                out["cluster_sanctions"] = out["cluster_tags"] = pa.table({"i": pa.array([], pa.int64())})
        finally:
            con.unregister("screen_q")
        return out, cluster_ids

    def direct_details(self, q: pa.Table) -> dict[str, pa.Table]:
        """Sanctions, former listings and tags of the addresses of q (i, address, h); no cluster hits."""
        con = self.chain._con
        con.register("screen_q", q)
        try:
            return self._direct_details(con, None)
        finally:
            con.unregister("screen_q")

    def _direct_details(self, con, hashes: np.ndarray | None) -> dict[str, pa.Table]:
        """The addresses' own hits, for the registered ``screen_q``; hashes: its few distinct ones."""
        views = {v: v for v in ("sanctions", "sanctions_all", "tags")}
        if hashes is not None:
            # literal hashes reach the Parquet scans (sorted by hash) and prune their row groups
            inlist = "(" + ", ".join(str(int(h)) for h in hashes) + ")"
            views = {v: f"(SELECT * FROM {v} WHERE address_hash IN {inlist})" for v in views}
        return {kind: _arrow(con.sql(f"SELECT * FROM ({sub.format(**views)}) ORDER BY i, {order}"))
                for kind, (_, order, sub) in DIRECT_QUERIES.items()}

    def _cluster_details(self, con, out: dict[str, pa.Table]) -> dict[int, int]:
        con.sql("""CREATE OR REPLACE TEMP TABLE screen_qc AS
                   SELECT q.i, q.address, a.cluster_id FROM screen_q q
                   JOIN addresses a ON a.address = q.address WHERE a.cluster_id IS NOT NULL""")
        try:
            cluster_ids = dict(con.sql("SELECT i, cluster_id FROM screen_qc").fetchall())
            out["cluster_sanctions"] = _arrow(con.sql("""
                SELECT qc.i, m.address AS member, s.list, CAST(s.listed_since AS VARCHAR) AS listed_since,
                       s.entity, s.programs
                FROM screen_qc qc JOIN addresses m ON m.cluster_id = qc.cluster_id
                JOIN sanctions s ON s.address = m.address
                WHERE m.address <> qc.address
                ORDER BY qc.i, s.list, m.address"""))
            out["cluster_tags"] = _arrow(con.sql("""
                SELECT qc.i, ct.label, ct.category, ct.abuse, ct.actor,
                       max(ct.confidence_score) AS confidence_score,
                       arg_max(ct.confidence, ct.confidence_score) AS confidence,
                       count(DISTINCT ct.address) AS n_addresses,
                       arg_max(ct.address, ct.confidence_score) AS member
                FROM screen_qc qc JOIN cluster_tags ct USING (cluster_id)
                WHERE ct.address IS DISTINCT FROM qc.address
                GROUP BY ALL ORDER BY qc.i, confidence_score DESC, ct.label"""))
        finally:
            con.sql("DROP TABLE IF EXISTS screen_qc")
        return cluster_ids


def _canonical(arr: pa.Array, hrp: str) -> pa.Array:
    """Bech32 addresses lowercased (the spelling the lists and tags are stored in)."""
    lower = pc.utf8_lower(arr)
    return pc.if_else(pc.starts_with(lower, hrp + "1"), lower, arr)
