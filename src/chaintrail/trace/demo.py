"""The tracing scene of ``chaintrail demo``: on a simulated store that is
clustered and attributed, trace the donation organisation's address,
measure its exposure, run the privacy audit (HTML report written), and,
when the simulator's truth is at hand, compare with it.

    scene = demo_scene(chain, truth_dir="sim/truth", out_html="privacy-audit.html")
    for line in scene.lines: print(line)

``run_scene`` is what ``chaintrail demo`` calls: it clusters the store and
attributes its services from the simulator's truth (services only, never
users) when nobody has yet, then runs ``demo_scene``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from chaintrail.chain import Chain
from chaintrail.errors import NotFoundError
from chaintrail.trace.audit import AuditReport, privacy_audit
from chaintrail.trace.exposure import ExposureReport, exposure
from chaintrail.trace.findings import btc, pct
from chaintrail.trace.result import TraceResult

#: the truth's entity kinds an investigator's tags would cover (services, never users)
SERVICE_KINDS = ("exchange", "sanctioned_exchange", "merchant", "payment_processor", "mining_pool",
                 "coinjoin_coordinator", "ransomware", "donation_org")


@dataclass
class DemoScene:
    """What the demo shows about the donation address."""

    address: str
    trace: TraceResult
    exposure: ExposureReport
    audit: AuditReport
    html_path: str
    check: dict | None = None
    lines: list[str] = field(default_factory=list)


def donation_address(chain: Chain, truth_dir: str | Path | None = None) -> str:
    """The donation organisation's published address: from the truth, else from a tag of
    category ``donation``."""
    if truth_dir is not None and (Path(truth_dir) / "donations.parquet").exists():
        import pyarrow.parquet as pq

        col = pq.read_table(Path(truth_dir) / "donations.parquet", columns=["donation_address"])
        if col.num_rows:
            return col["donation_address"][0].as_py()
    try:
        rows = chain.sql("SELECT address FROM tags WHERE category = 'donation' AND address IS NOT NULL "
                         "ORDER BY address LIMIT 1").fetchall()
    except Exception:  # no tags view in this store
        rows = []
    if not rows:
        raise NotFoundError("no donation address: give the simulator's truth directory or tag one "
                            "(category donation)")
    return rows[0][0]


def demo_scene(chain: Chain, truth_dir: str | Path | None = None,
               out_html: str | Path = "privacy-audit.html", hops: int = 3,
               policies: tuple[str, ...] = ("haircut", "fifo", "lifo", "tiho", "poison")) -> DemoScene:
    """Trace, expose and audit the donation address; write the audit's HTML report."""
    from chaintrail.trace.api import trace

    addr = donation_address(chain, truth_dir)
    res = trace(chain, addr, "backward", "haircut", max_hops=hops, stop_at="custodial")
    exp = exposure(chain, addr, "both", max_hops=hops + 1, policy="haircut")
    audit = privacy_audit(chain, [addr], hops=hops, policies=policies)
    audit.to_html(out_html)
    scene = DemoScene(addr, res, exp, audit, str(out_html))
    lines = [f"Donation address {addr}: {res.start.outputs.size:,} payments received, "
             f"{btc(res.injected)}."]
    terms = res.terminals()
    outside = sum(t["amount"] for t in terms if t["kind"] != "returned") or 1
    ends = [t for t in terms if t["kind"] == "entity"][:4]
    if ends:
        lines.append(f"Traced back (haircut, {hops} hops, stopping at custodial services), the "
                     "value paid in by others came from: "
                     + "; ".join(f"{t['label']} {pct(t['amount'] / outside)}" for t in ends) + ".")
    inc = exp.incoming
    if inc is not None:
        d = sum(f.amount for f in inc.direct)
        i = sum(f.amount for f in inc.indirect)
        base = inc.external or 1
        lines.append(f"Incoming exposure: {pct(d / base)} direct, {pct(i / base)} indirect "
                     f"({len(inc.direct)} services directly).")
    lines += audit.findings[:4]
    if truth_dir is not None:
        from chaintrail.trace.truthcheck import donation_check

        check = donation_check(chain, truth_dir, hops=hops, policies=("haircut",))
        scene.check = check
        t = check["truth"]["by_source"]["exchange_withdrawal"]
        e = check["policies"]["haircut"]["estimate"]
        lines.append(f"Checked against the simulator's truth: {pct(t['value_share'])} of donated value "
                     f"came straight from exchange withdrawals; the audit says "
                     f"{pct(e['audit_direct_value_share'])}.")
    lines.append(f"Privacy-audit report written to {out_html}.")
    scene.lines = lines
    return scene


def run_scene(chain: Chain, truth_dir: str | Path, out_dir: str | Path, say=print,
              **scene_options) -> DemoScene:
    """``chaintrail demo``'s tracing scene: cluster and tag the store if that is not done yet,
    then trace, expose and audit the donation address (report in out_dir/privacy-audit.html;
    scene_options: hops, policies of ``demo_scene``)."""
    import time

    import chaintrail as ct
    from chaintrail.trace.rooms import clusters, has_tags

    store, out = chain.path, Path(out_dir)
    if clusters(ct.open(store)) is None:  # reopened: an earlier scene may have clustered it
        from chaintrail.cluster.build import build_clusters

        t0 = time.perf_counter()
        rep = build_clusters(store)
        say("")
        say(f"clustered the store: {rep.get('clusters', 0):,} clusters in "
            f"{time.perf_counter() - t0:.1f} s")
    if not has_tags(ct.open(store)):
        from chaintrail.attribution.service import import_tags
        from chaintrail.trace.truthcheck import write_truth_tags

        tags = out / "service-tags.csv"
        n = write_truth_tags(truth_dir, tags, kinds=SERVICE_KINDS)
        import_tags(store, [str(tags)])
        say(f"attributed the services: {n:,} tags of exchanges, shops, processors, pools, "
            f"CoinJoin coordinators (from the simulator's truth, as an investigator's tag files)")
    chain = ct.open(store)  # sees the new clusters and tags
    scene = demo_scene(chain, truth_dir, out / "privacy-audit.html", **scene_options)
    say("")
    for line in scene.lines:
        say(line)
    return scene
