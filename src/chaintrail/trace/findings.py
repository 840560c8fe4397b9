"""The privacy audit's findings in plain words: what an outsider can learn
about the organisation's payers and payees, who can learn it, and why."""

from __future__ import annotations

SAT = 100_000_000


def btc(sat: int) -> str:
    return f"{sat / SAT:,.4f} BTC"


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _names(services: list[dict], key: str, limit: int = 4) -> str:
    named = [s for s in services if s[key] > 0][:limit]
    if not named:
        return ""
    text = ", ".join(f"{s['label']} {s[key]}" for s in named)
    rest = len([s for s in services if s[key] > 0]) - len(named)
    return f" ({text}{f' and {rest} more' if rest > 0 else ''})"


def findings(report) -> list[str]:
    """Plain-language findings of an audit (from its first policy)."""
    side = report.policies[report.primary]
    inc, out = side["incoming"], side["outgoing"]
    k = report.hops
    thr = pct(report.threshold)
    lines = []
    reuse = report.own_reuse
    if reuse["addresses"] and inc.payments:
        per = inc.payments / reuse["addresses"]
        if per >= 2:
            lines.append(
                f"All {inc.payments:,} incoming payments ({btc(inc.value)}) went to "
                f"{reuse['addresses']} published address{'es' if reuse['addresses'] > 1 else ''}, "
                f"about {per:,.0f} per address: anyone can list every payment, its amount, its time "
                "and the payer's coins.")
    if report.attributed_entities == 0:
        lines.append("No address in this store is attributed to any service yet (import tags and "
                     "build clusters): every figure about services below is zero for want of "
                     "attribution, not because payers are anonymous.")
    if inc.payments:
        d, w = inc.counts["custodial_direct"], inc.counts["custodial_within_k"]
        lines.append(
            f"{d:,} of {inc.payments:,} incoming payments ({pct(inc.share('custodial_direct', 'count'))}; "
            f"{pct(inc.share('custodial_direct'))} of the value) were paid straight out of a custodial "
            f"service{_names(inc.by_service, 'payments_direct')}: that service can name each of these "
            "payers from its customer records.")
        if w > d:
            lines.append(
                f"{w - d:,} more payments came, for at least {thr} of their value, from coins that "
                f"left a custodial service at most {k} hops earlier through unattributed addresses "
                f"({pct(inc.share('custodial_within_k'))} of all incoming value came from custodial "
                "services within that distance): the service can find these payers with its "
                "withdrawal records and a short trace.")
        if inc.counts["coinjoin"] or inc.values["coinjoin"]:
            lines.append(
                f"{inc.counts['coinjoin']:,} payments ({pct(inc.share('coinjoin'))} of the value) were "
                "paid from CoinJoin outputs: the mix hides where these payers' coins came from, "
                "although the payment itself stays visible.")
        if inc.counts["reused"]:
            lines.append(
                f"{inc.counts['reused']:,} payments ({pct(inc.share('reused'))} of the value) came from "
                "addresses that were used more than once: each such payer's payments are linked to "
                "one another and to everything else those addresses did.")
        if inc.counts["other_service"]:
            lines.append(
                f"{inc.counts['other_service']:,} payments came mostly from other attributed services "
                "(merchants, pools, processors...), which may also know who they paid out to.")
    if out.payments:
        lines.append(
            f"Of {out.payments:,} outgoing payments ({btc(out.value)}), "
            f"{out.counts['custodial_direct']:,} went straight to custodial deposit addresses"
            f"{_names(out.by_service, 'payments_direct')} and "
            f"{max(out.counts['custodial_within_k'] - out.counts['custodial_direct'], 0):,} more "
            f"reached one within {k} hops: those services know whose account was credited.")
        if out.counts["coinjoin"]:
            lines.append(f"{out.counts['coinjoin']:,} recipients spent what they received in a CoinJoin.")
        if out.counts["reused"]:
            lines.append(f"{out.counts['reused']:,} outgoing payments went to reused addresses, which "
                         "tie the recipients' other payments to the organisation.")
    if len(report.policies) > 1:
        parts = [f"{p}: {pct(s['incoming'].share('custodial_within_k'))}"
                 for p, s in report.policies.items()]
        lines.append("Share of incoming value traced to custodial services within "
                     f"{k} hops, by taint policy: " + "; ".join(parts) + ". The policies "
                     "disagree on how value mixes inside transactions; the direct figures agree "
                     "closely because a withdrawal pays with the service's coins only.")
    return lines
