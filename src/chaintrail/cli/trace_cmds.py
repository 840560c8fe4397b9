"""Tracing commands: trace, exposure, privacy-audit (a shell over chaintrail.trace)."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from chaintrail.cli.output import btc, console, kv_table, print_json, rows_table, warn
from chaintrail.errors import ChaintrailError

StoreOpt = typer.Option(None, "--store", envvar="CHAINTRAIL_STORE",
                        help="Store directory (default ./chaintrail-data).")
JsonOpt = typer.Option(False, "--json", help="Machine-readable JSON output.")


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _emit(text: str, out: str | None) -> None:
    if out:
        with open(out, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        console.print(f"written to {out}")
    else:
        sys.stdout.write(text)


def _print_trace(res, top: int) -> None:
    s = res.summary()
    kv_table(f"trace {s['direction']} from {res.start.ref}", [
        ("policy", s["policy"]), ("max hops", s["max_hops"]), ("min value", s["min_value"]),
        ("stop at", ", ".join(s["stop_at"]) or "nothing"),
        ("starting outputs", f"{res.start.outputs.size:,} ({btc(s['injected'])})"),
        ("outputs reached", f"{s['outputs_reached']:,}"), ("transactions split", f"{s['txs']:,}"),
        ("work", f"{s['work']:,} of {s['budget']:,}"
                 + (" - BUDGET EXHAUSTED: the trace stopped early" if s["budget_exhausted"] else "")),
        ("conserved", "yes" if s["conserved"] else "no (poison taints whole transactions)"),
        ("time", f"{s['elapsed_s'] * 1e3:.1f} ms ({s.get('engine', 'kernel')} engine)"),
    ])
    rows_table("where the flow ended", ["kind", "entity", "category", "amount", "share", "hops"],
               [(t["kind"], t["label"] or "", t["category"] or "", btc(t["amount"]),
                 _pct(t["share"]), f"{t['min_hop']}-{t['max_hop']}") for t in res.terminals()[:top]])
    e = res.edge_table()
    order = sorted(range(len(e["amount"])), key=lambda k: -e["amount"][k])[:top]
    rows_table(f"largest edges ({len(e['amount']):,} at level {res.level})",
               ["hop", "source", "target", "amount", "txid"],
               [(e["hop"][k], e["source"][k], e["target"][k], btc(e["amount"][k]),
                 e["txid"][k] or f"{e['n_txs'][k]} txs") for k in order])


def _print_side(side, explain: bool) -> None:
    d = side.to_dict()
    console.print(f"[bold]{side.direction}[/bold]: {btc(d['total'])} followed, "
                  f"{btc(d['internal'])} internal (the target's own), {btc(d['external'])} external; "
                  f"{_pct(d['exposed_share'])} exposed to attributed entities"
                  + (" [red](budget exhausted: partial)[/red]" if d["budget_exhausted"] else ""))
    for depth in ("direct", "indirect"):
        figs = getattr(side, depth)
        rows_table(f"{depth} exposure", ["entity", "category", "amount", "share", "hops", "txs"],
                   [(f.label, f.category or "", btc(f.amount), _pct(f.share),
                     f"{f.min_hop}-{f.max_hop} (mean {f.mean_hop:g})", f.transactions) for f in figs])
        if explain:
            for f in figs:
                console.print(f"[bold]{f.label}[/bold] {depth}, {btc(f.amount)}:")
                for ev in f.evidence:
                    console.print(f"  hop {ev['hop']}: {btc(ev['amount'])} from {ev['output']} "
                                  f"({ev['address']}) in tx {', '.join(ev['txids'])}")
                    for step in ev["path"]:
                        console.print(f"      hop {step['hop']} tx {step['txid']}: {step['source']} -> "
                                      f"{step['target']} {btc(step['amount'])}")
    if d["by_category"]:
        rows_table("by category", ["category", "direct", "indirect", "share"],
                   [(c["category"], btc(c["direct"]), btc(c["indirect"]), _pct(c["share"]))
                    for c in d["by_category"]])
    if d["unattributed"]:
        console.print("not attributed: " + ", ".join(f"{k} {btc(v)}" for k, v in d["unattributed"].items()))


def _demo_scene(chain, truth, out) -> None:
    """`chaintrail demo`: cluster and attribute the store if not done yet, trace the donation
    address, measure its exposure, write the privacy-audit HTML report."""
    from chaintrail.trace.demo import run_scene

    run_scene(chain, truth, out, say=lambda line: console.print(line, highlight=False, markup=False))


def register(app: typer.Typer) -> None:
    from chaintrail.cli import demo_cmd

    if _demo_scene not in demo_cmd.SCENES:  # after the clustering scene (registered before us)
        demo_cmd.SCENES.append(_demo_scene)

    @app.command()
    def trace(
        start: str = typer.Argument(..., metavar="ADDRESS|TXID|TXID:VOUT|cluster:ID"),
        direction: str = typer.Option("backward", help="backward (where it came from) or forward."),
        policy: str = typer.Option("haircut", help="poison, haircut, fifo, lifo or tiho."),
        max_hops: int = typer.Option(6, help="Transactions crossed at most."),
        stop_at: Optional[str] = typer.Option(None, help="Stop at these entities: any, service, "
                                              "custodial, a category (exchange, mixer...), entity:NAME."),
        min_value: int = typer.Option(0, help="Stop following amounts below this (satoshis)."),
        budget: Optional[int] = typer.Option(None, help="Work budget (inputs and outputs visited)."),
        level: str = typer.Option("output", help="Graph nodes: output, address or cluster."),
        json_out: bool = JsonOpt,
        csv_out: bool = typer.Option(False, "--csv", help="The edges as CSV."),
        graphml: bool = typer.Option(False, "--graphml", help="The flow graph as GraphML."),
        out: Optional[str] = typer.Option(None, "--out", help="Write the JSON/CSV/GraphML here."),
        top: int = typer.Option(20, help="Rows shown in tables."),
        store: Optional[str] = StoreOpt,
    ) -> None:
        """Follow the value of an address, transaction or output through the chain."""
        from chaintrail.chain import open as open_chain
        from chaintrail.trace.api import trace as run
        from chaintrail.trace.engine import DEFAULT_BUDGET

        if sum([json_out, csv_out, graphml]) > 1:
            raise ChaintrailError("choose one of --json, --csv, --graphml")
        chain = open_chain(store)
        res = run(chain, start, direction, policy, max_hops, min_value, budget or DEFAULT_BUDGET,
                  stop_at, level)
        if res.budget_exhausted and not json_out:
            warn(f"the work budget ({res.params['budget']:,}) ran out: the trace is partial; "
                 "raise --budget or lower --max-hops")
        if json_out:
            _emit(res.to_json(level=level), out)
        elif csv_out:
            _emit(res.to_csv(level=level), out)
        elif graphml:
            _emit(res.to_graphml(level=level), out)
        else:
            _print_trace(res, top)

    @app.command()
    def exposure(
        target: str = typer.Argument(..., metavar="ADDRESS|cluster:ID"),
        direction: str = typer.Option("both", help="incoming, outgoing or both."),
        max_hops: int = typer.Option(4, help="Hops through unattributed addresses at most."),
        policy: str = typer.Option("haircut", help="How value is apportioned along the way."),
        budget: Optional[int] = typer.Option(None, help="Work budget of each direction's trace."),
        explain: bool = typer.Option(False, "--explain", help="The transactions behind each figure."),
        json_out: bool = JsonOpt,
        store: Optional[str] = StoreOpt,
    ) -> None:
        """Direct and indirect exposure of an address or cluster to attributed services."""
        from chaintrail.chain import open as open_chain
        from chaintrail.trace.exposure import EXPOSURE_BUDGET
        from chaintrail.trace.exposure import exposure as run

        chain = open_chain(store)
        rep = run(chain, target, direction, max_hops, policy, budget=budget or EXPOSURE_BUDGET,
                  explain=explain)
        if json_out:
            print_json(rep.to_dict())
            return
        own = ", ".join(rep.target_entities) or "unattributed"
        console.print(f"[bold]exposure of {rep.target.ref}[/bold] ({rep.target.outputs.size:,} outputs; "
                      f"attributed to: {own}); policy {rep.policy}, up to {rep.max_hops} hops")
        for side in rep.sides():
            _print_side(side, explain)

    @app.command("privacy-audit")
    def privacy_audit(
        addresses: list[str] = typer.Argument(..., metavar="ADDRESS..."),
        hops: int = typer.Option(3, help="Hops through unattributed addresses (k)."),
        policy: str = typer.Option("haircut", help="Policy, or a comma-separated list to compare."),
        threshold: float = typer.Option(0.5, help="Share of a payment's value that makes it count."),
        html: Optional[str] = typer.Option(None, "--html", help="Write the HTML report here."),
        json_out: bool = JsonOpt,
        store: Optional[str] = StoreOpt,
    ) -> None:
        """What the public chain reveals about an organisation's payers and payees."""
        from chaintrail.chain import open as open_chain
        from chaintrail.trace.audit import privacy_audit as run

        chain = open_chain(store)
        rep = run(chain, addresses, hops=hops, policies=[p for p in policy.split(",") if p],
                  threshold=threshold)
        if html:
            rep.to_html(html)
        if json_out:
            print_json(rep.to_dict(with_rows=False))
            return
        for line in rep.findings:
            console.print(f"- {line}", highlight=False)
        side = rep.policies[rep.primary]
        for name in ("incoming", "outgoing"):
            s = side[name]
            rows_table(f"{name}: {s.payments:,} payments, {btc(s.value)}",
                       ["source", "payments", "share", "value", "share of value"],
                       [(k, s.counts[k], _pct(s.share(k, 'count')), btc(s.values[k]), _pct(s.share(k)))
                        for k in s.counts])
        if html:
            console.print(f"HTML report written to {html}")
