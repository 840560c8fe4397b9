"""The activity report as one self-contained HTML page: a line chart of
deposit volume per jurisdiction over time (inline SVG, the split date
marked), the table of totals, and the before/after comparison with bars."""

from __future__ import annotations

from html import escape

from chaintrail.desk.html_util import bar_chart, page, table

COLORS = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#57606a", "#e16f24", "#0a3069",
          "#a40e26", "#116329", "#6639ba", "#953800")
COIN = 100_000_000


def line_chart(buckets: list[str], lines: list[tuple[str, list[float]]], split_bucket: str | None,
               width: int = 900, height: int = 320, unit: str = "BTC") -> str:
    """Lines over buckets as inline SVG, with a legend and an optional vertical split mark."""
    if not buckets or not lines:
        return "<p class=\"muted\">no activity in the period</p>"
    left, right, top, bottom = 70, 130, 10, 40
    w, h = width - left - right, height - top - bottom
    vmax = max((max(v) for _, v in lines if v), default=0) or 1
    n = len(buckets)

    def x(i: int) -> float:
        return left + (w * i / max(n - 1, 1))

    def y(v: float) -> float:
        return top + h - h * v / vmax

    parts = [f"<svg class=\"chart\" width=\"{width}\" height=\"{height}\" role=\"img\" "
             f"xmlns=\"http://www.w3.org/2000/svg\">",
             f"<line x1=\"{left}\" y1=\"{top + h}\" x2=\"{left + w}\" y2=\"{top + h}\" stroke=\"#888\"/>",
             f"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{top + h}\" stroke=\"#888\"/>"]
    for k in range(5):
        v = vmax * k / 4
        parts.append(f"<text x=\"{left - 6}\" y=\"{y(v) + 4:.1f}\" font-size=\"11\" "
                     f"text-anchor=\"end\">{v:,.2f}</text>")
    step = max(1, n // 12)
    for i in range(0, n, step):
        parts.append(f"<text x=\"{x(i):.1f}\" y=\"{top + h + 16}\" font-size=\"11\" "
                     f"text-anchor=\"middle\">{escape(buckets[i])}</text>")
    if split_bucket is not None and split_bucket in buckets:
        sx = x(buckets.index(split_bucket))
        parts.append(f"<line x1=\"{sx:.1f}\" y1=\"{top}\" x2=\"{sx:.1f}\" y2=\"{top + h}\" "
                     f"stroke=\"#cf222e\" stroke-dasharray=\"4 3\"/>"
                     f"<text x=\"{sx + 4:.1f}\" y=\"{top + 12}\" font-size=\"11\" fill=\"#cf222e\">"
                     f"split</text>")
    for k, (label, vals) in enumerate(lines):
        c = COLORS[k % len(COLORS)]
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vals))
        parts.append(f"<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{pts}\"/>")
        ly = top + 14 * k + 10
        parts.append(f"<rect x=\"{left + w + 12}\" y=\"{ly - 8}\" width=\"10\" height=\"10\" "
                     f"fill=\"{c}\"/><text x=\"{left + w + 26}\" y=\"{ly + 1}\" font-size=\"11\">"
                     f"{escape(label)}</text>")
    parts.append(f"<text x=\"{left}\" y=\"{height - 4}\" font-size=\"11\" fill=\"#57606a\">"
                 f"deposits per bucket, {escape(unit)}</text></svg>")
    return "".join(parts)


def activity_html(r: dict) -> str:
    """The HTML page of an activity report dict."""
    split = r.get("split")
    split_bucket = None
    if split:
        d = split["date"]
        split_bucket = d[:7] if r["interval"] == "month" else d if r["interval"] == "day" else None
    lines = [(j + (" (sanctioned)" if any(x["jurisdiction"] == j and x["sanctioned"]
                                           for x in r["jurisdictions"]) else ""),
              [r["series"][b].get(j, {}).get("deposit_sat", 0) / COIN for b in r["buckets"]])
             for j in r["top"]]
    parts = [f"<h1>Customer activity by {escape(r['by'])}, {escape(r['period'])}</h1>",
             f"<p class=\"muted\">{escape(r['start'])} to {escape(r['end'])} (exclusive; blocks "
             f"from {escape(r['data_from'])} to {escape(r['data_to'])}), "
             f"{r['transfers']:,} customer transfers, by {escape(r['interval'])}. Exposure share: "
             "deposit volume whose transaction spends coins of a sanctioned, ransomware, darknet "
             "market or mixer address (direct exposure).</p>",
             "<h2>Deposits over time</h2>", line_chart(r["buckets"], lines, split_bucket)]
    if split:
        parts += [f"<h2>Before and after {escape(split['date'])}</h2>",
                  f"<p class=\"muted\">{split['days_before']} days before, {split['days_after']} "
                  "days after; rates are per day, change = after / before.</p>",
                  table(["jurisdiction", "sanctioned", "deposits/day before", "after", "change",
                         "BTC/day before", "after", "change", "share of deposits before", "after",
                         "share of volume before", "after"],
                        [[c["jurisdiction"], "yes" if c["sanctioned"] else "",
                          f"{c['before_deposits_per_day']:.3f}", f"{c['after_deposits_per_day']:.3f}",
                          "-" if c["count_change"] is None else f"{c['count_change']:.2f}x",
                          f"{c['before_sat_per_day'] / COIN:,.4f}",
                          f"{c['after_sat_per_day'] / COIN:,.4f}",
                          "-" if c["change"] is None else f"{c['change']:.2f}x",
                          f"{c['before_count_share']:.2%}", f"{c['after_count_share']:.2%}",
                          f"{c['before_share']:.2%}", f"{c['after_share']:.2%}"]
                         for c in split["jurisdictions"][:30]]),
                  "<h3>Change in deposits per day (after / before), per jurisdiction</h3>",
                  bar_chart([(c["jurisdiction"] + (" (sanctioned)" if c["sanctioned"] else ""),
                              100 * (c["count_change"] or 0))
                             for c in split["jurisdictions"][:15]], unit=" %")]
    parts += ["<h2>Totals</h2>",
              table(["jurisdiction", "sanctioned", "deposits", "deposit BTC", "share",
                     "withdrawals", "withdrawal BTC", "customers", "exposed BTC",
                     "exposure share", "alerts"],
                    [[x["jurisdiction"], "yes" if x["sanctioned"] else "", x["deposits"],
                      f"{x['deposit_sat'] / COIN:,.4f}", f"{x['deposit_share']:.2%}",
                      x["withdrawals"], f"{x['withdrawal_sat'] / COIN:,.4f}", x["customers"],
                      f"{x['exposed_sat'] / COIN:,.4f}", f"{x['exposed_share']:.2%}", x["alerts"]]
                     for x in r["jurisdictions"][:60]])]
    return page(f"Activity by {r['by']} {r['period']}", "".join(parts))
