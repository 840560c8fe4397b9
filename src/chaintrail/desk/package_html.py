"""The human-readable summary of a production package: who asked, on what
legal basis, what the rules decided and why, who reviewed and approved,
and exactly what is disclosed."""

from __future__ import annotations

from html import escape

from chaintrail.desk.html_util import page, table


def summary_html(m: dict, files: dict[str, str]) -> str:
    """summary.html of a package, from its manifest and the files' SHA-256."""
    r = m["request"]
    parts = [f"<h1>Disclosure package: request {r['id']}</h1>",
             f"<p class=\"muted\">produced {escape(m['produced_at'])}; outcome "
             f"<b>{escape(m['outcome'].replace('_', ' '))}</b></p>",
             "<h2>The request</h2>",
             table(["field", "value"], [
                 ["requesting authority", r["agency"]], ["country", r["country"]],
                 ["requester type", r["requester_type"]], ["officer", r.get("officer")],
                 ["their case number", r.get("case_number")], ["legal instrument", r["instrument"]],
                 ["legal basis", r.get("legal_basis")], ["received", r["received_at"]],
                 ["categories asked", ", ".join(r["categories_asked"])],
                 ["time window", f"{r['window'][0]} .. {r['window'][1]}"]]),
             "<h2>What the rules decided</h2>",
             table(["rule", "version", "outcome", "why", "source"],
                   [[f["rule"], f["version"], f["outcome"], f["explanation"], f["source"]]
                    for f in m["rules"] if f["outcome"] != "not_applicable"]),
             "<h2>Approval (four eyes)</h2>",
             table(["step", "by", "at", "reason"],
                   [["review", m["review"]["by"], m["review"]["at"], ""],
                    ["approval", m["approval"]["by"], m["approval"]["at"], m["approval"]["reason"]]]),
             "<h2>What is disclosed</h2>",
             f"<p>Categories produced: <b>{escape(', '.join(m['categories_produced']) or 'none')}</b>."
             + (f" Not given: {escape(', '.join(m['categories_not_given']))}." if m["categories_not_given"]
                else "")
             + (" Not held by this desk: " + escape(", ".join(m["categories_not_held"])) + "."
                if m["categories_not_held"] else "") + "</p>"]
    rows = []
    for c in m["customers"]:
        ident = c.get("identity") or {}
        why = "; ".join(f"{w['target']} ({w['relation'].replace('_', ' ')}, {w['hops']} hops)"
                        for w in c["why"]) or "named"
        rows.append([c["customer_id"], ident.get("name", "(not disclosed)"),
                     ident.get("date_of_birth", ""),
                     ", ".join(x for x in (ident.get("street"), ident.get("city"),
                                           ident.get("country")) if x),
                     len(c.get("accounts", [])) if "accounts" in c else "",
                     len(c.get("transfers", [])) if "transfers" in c else "", why])
    parts.append(table(["customer", "name", "born", "address", "accounts", "transfers",
                        "why in scope"], rows))
    parts.append("<h2>Files</h2>")
    parts.append(table(["file", "SHA-256"], [[k, v] for k, v in sorted(files.items())]))
    return page(f"chaintrail disclosure package, request {r['id']}", "".join(parts))
