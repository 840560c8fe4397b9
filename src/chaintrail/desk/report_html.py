"""The transparency report as a self-contained HTML page with bar charts."""

from __future__ import annotations

from html import escape

from chaintrail.desk.html_util import bar_chart, page, table

LABELS = {"produced": "produced", "partly_produced": "partly produced", "no_records": "no records",
          "refused": "refused", "pending": "pending"}


def report_html(r: dict) -> str:
    """The HTML page of a transparency report dict."""
    chk = r["check"]
    ok = chk["figures_match_audit_log"] and chk["audit_log_intact"]
    parts = [f"<h1>Transparency report {escape(r['period'])}</h1>",
             f"<p class=\"muted\">{escape(r['start'])} to {escape(r['end'])}; generated "
             f"{escape(r['generated_at'])}</p>",
             "<h2>Requests from authorities</h2>",
             f"<p><b>{r['requests']:,}</b> requests; accounts affected by productions: "
             f"<b>{r['accounts_affected']:,}</b> ({r['customers_affected']:,} customers); median "
             f"response time: <b>{r['median_response_days'] if r['median_response_days'] is not None else '-'}"
             "</b> days.</p>",
             "<h3>Outcome</h3>",
             bar_chart([(LABELS[k], v) for k, v in r["by_outcome"].items()]),
             "<h3>By country</h3>", bar_chart(list(r["by_country"].items())),
             "<h3>By requester type</h3>",
             bar_chart([(k.replace("_", " "), v) for k, v in r["by_requester_type"].items()]),
             "<h3>By legal instrument</h3>",
             bar_chart([(k.replace("_", " "), v) for k, v in r["by_instrument"].items()]),
             "<h3>Country and outcome</h3>",
             table(["country", *[LABELS[o] for o in LABELS]],
                   [[c, *[v.get(o, 0) for o in LABELS]] for c, v in r["by_country_outcome"].items()]),
             "<h2>Sanctions measures</h2>",
             table(["measure", "count"], [
                 ["targeted freezes applied", r["freezes"]], ["freezes released", r["freezes_released"]],
                 ["blanket freezes asked for and refused", r["blanket_freezes_refused"]],
                 ["customers offboarded (EU Reg. 833/2014 Art. 5b)", r["offboardings"]]]),
             "<h2>Check</h2>",
             f"<p class=\"{'ok' if ok else 'bad'}\">"
             + ("Every figure above equals the one recomputed from the audit log, and the log's hash "
                "chain is intact." if ok else
                "The figures and the audit log disagree or the log is damaged: "
                + escape(", ".join(chk["differences"]) or "hash chain broken")) + "</p>",
             f"<p>Audit log head: entry {chk['audit_head']['seq']:,}, hash "
             f"<code>{escape(chk['audit_head']['hash'])}</code>. Anyone holding this hash can later "
             "check that the log was not rewritten (<code>chaintrail desk audit verify --anchor "
             f"{chk['audit_head']['seq']}:{escape(chk['audit_head']['hash'])}</code>).</p>"]
    return page(f"Transparency report {r['period']}", "".join(parts))
