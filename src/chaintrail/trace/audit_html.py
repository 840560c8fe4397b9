"""The privacy audit as one self-contained HTML page: the findings in plain
words, inline SVG charts, the services that can identify payers, the
comparison of policies, and the largest payments with their txids."""

from __future__ import annotations

import datetime as dt
from html import escape

from chaintrail.trace.findings import btc, pct
from chaintrail.trace.svg import bars, stacked

_CSS = """
body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}.mono{font-family:monospace;font-size:.9em}
.findings li{margin:.4em 0}.note{color:#555;font-size:.9em}
"""

_LABELS = {
    "custodial_direct": "paid straight from a custodial service",
    "custodial_within_k": "from a custodial service within {k} hops",
    "other_service": "mostly from another attributed service",
    "coinjoin": "paid from CoinJoin outputs",
    "reused": "from reused addresses",
}
_OUT_LABELS = {
    "custodial_direct": "paid to a custodial deposit address",
    "custodial_within_k": "reached a custodial service within {k} hops",
    "other_service": "paid to another attributed service",
    "coinjoin": "spent by the recipient in a CoinJoin",
    "reused": "paid to a reused address",
}


def _side_section(side, labels: dict, hops: int, threshold: float, title: str) -> str:
    if side.payments == 0:
        return f"<h2>{escape(title)}</h2><p>No payments.</p>"
    names = [labels[s].format(k=hops) for s in labels]
    chart = bars(names, [("share of value", [side.share(s) for s in labels]),
                         ("share of payments", [side.share(s, "count") for s in labels])],
                 max_value=1.0)
    ext = side.values["custodial_within_k"]
    direct = side.values["custodial_direct"]
    other = side.values["other_service"]
    rest = max(side.value - ext - other, 0)
    comp = stacked([("custodial, direct", direct / side.value),
                    (f"custodial, 2 to {hops} hops", (ext - direct) / side.value),
                    ("other services", other / side.value), ("not traced to a service", rest / side.value)])
    rows = "".join(
        f"<tr><td class='l'>{escape(s['label'])}</td><td class='l'>{escape(s['category'] or '')}</td>"
        f"<td>{s['payments_direct']:,}</td><td>{s['payments_within_k']:,}</td>"
        f"<td>{btc(s['value_direct'])}</td><td>{btc(s['value_within_k'])}</td></tr>"
        for s in side.by_service)
    services = (f"<table><tr><th class='l'>service</th><th class='l'>category</th>"
                f"<th>payments (direct)</th><th>payments (within {hops} hops)</th>"
                f"<th>value (direct)</th><th>value (within {hops} hops)</th></tr>{rows}</table>"
                if rows else "<p>No custodial service in these payments' history.</p>")
    svc_chart = bars([s["label"] for s in side.by_service[:12]],
                     [("direct", [s["value_direct"] / side.value for s in side.by_service[:12]]),
                      (f"within {hops} hops", [s["value_within_k"] / side.value
                                               for s in side.by_service[:12]])]) \
        if side.by_service else ""
    top = sorted(side.rows, key=lambda r: -r["value"])[:40]
    trs = "".join(
        f"<tr><td class='l mono'>{escape(r['txid'])}</td><td>{btc(r['value'])}</td>"
        f"<td>{pct(r['custodial_direct'] / r['value'] if r['value'] else 0)}</td>"
        f"<td>{pct(r['custodial_within_k'] / r['value'] if r['value'] else 0)}</td>"
        f"<td>{pct(r['coinjoin'] / r['value'] if r['value'] else 0)}</td>"
        f"<td>{pct(r['reused'] / r['value'] if r['value'] else 0)}</td>"
        f"<td class='l'>{escape(', '.join(r['services']))}</td></tr>" for r in top)
    return (f"<h2>{escape(title)}</h2>"
            f"<p>{side.payments:,} payments, {btc(side.value)}. A payment is counted under a source "
            f"when at least {pct(threshold)} of its value came from it.</p>{chart}"
            f"<h3>Where the value came from</h3>{comp}"
            f"<h3>Custodial services that can identify these payments</h3>{svc_chart}{services}"
            f"<h3>Largest payments</h3><table><tr><th class='l'>txid</th><th>value</th>"
            f"<th>custodial direct</th><th>custodial within {hops}</th><th>CoinJoin</th>"
            f"<th>reused</th><th class='l'>services</th></tr>{trs}</table>")


def _policy_section(report) -> str:
    if len(report.policies) < 2:
        return ""
    pols = list(report.policies)
    keys = ("custodial_direct", "custodial_within_k", "coinjoin", "reused")
    chart = bars([_LABELS[k].format(k=report.hops) for k in keys],
                 [(p, [report.policies[p]["incoming"].share(k) for k in keys]) for p in pols],
                 max_value=1.0)
    head = "".join(f"<th>{escape(p)}</th>" for p in pols)
    rows = "".join(
        f"<tr><td class='l'>{escape(_LABELS[k].format(k=report.hops))}</td>"
        + "".join(f"<td>{pct(report.policies[p]['incoming'].share(k))}</td>" for p in pols)
        + "</tr>" for k in keys)
    return (f"<h2>The same question under each taint policy (share of incoming value)</h2>{chart}"
            f"<table><tr><th class='l'></th>{head}</tr>{rows}</table>"
            "<p class='note'>Direct figures barely move: a withdrawal pays with the service's own "
            "coins. Figures further away depend on how each policy says value mixes inside a "
            "transaction (docs/tracing.md).</p>")


def render(report) -> str:
    """HTML text of an audit report."""
    side = report.policies[report.primary]
    addrs = ", ".join(report.addresses[:5]) + (f" and {len(report.addresses) - 5} more"
                                               if len(report.addresses) > 5 else "")
    findings = "".join(f"<li>{escape(f)}</li>" for f in report.findings)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Privacy audit: {escape(addrs)}</title>
<style>{_CSS}</style></head><body>
<h1>Privacy audit of {escape(addrs)}</h1>
<p class="note">chaintrail privacy-audit, {now}. Policy {escape(report.primary)}, {report.hops} hops,
custodial categories: {escape(', '.join(report.custodial))}; {report.attributed_entities:,} attributed
entities known to this store.</p>
<h2>Findings</h2><ul class="findings">{findings}</ul>
{_side_section(side['incoming'], _LABELS, report.hops, report.threshold, 'Incoming payments (payers)')}
{_side_section(side['outgoing'], _OUT_LABELS, report.hops, report.threshold, 'Outgoing payments (payees)')}
{_policy_section(report)}
<h2>How these figures are made</h2>
<p class="note">Each incoming payment is traced backward up to {report.hops} transactions, through
addresses no tag attributes, stopping at the first attributed entity; value is apportioned inside each
transaction by the taint policy. A custodial service (exchange, wallet service, ATM) keeps its customers'
names: a payment funded by one of its withdrawals, directly or through a few unattributed hops, can be tied
to a customer. CoinJoin and reused-address figures look at the payment's own inputs (incoming) or at the
recipient's output (outgoing). Every figure is reproducible with <code>chaintrail exposure --explain</code>
and <code>chaintrail trace</code>.</p>
</body></html>
"""
