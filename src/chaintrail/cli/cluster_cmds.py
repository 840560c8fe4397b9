"""Clustering commands: cluster build / show / why, and evaluate."""

from __future__ import annotations

from typing import Optional

import typer

from chaintrail.cli.output import btc, console, kv_table, print_json, rows_table
from chaintrail.errors import ChaintrailError

StoreOpt = typer.Option(None, "--store", envvar="CHAINTRAIL_STORE",
                        help="Store directory (default ./chaintrail-data).")
JsonOpt = typer.Option(False, "--json", help="Machine-readable JSON output.")


class UsageError(ChaintrailError):
    """A bad option value."""

    exit_code = 2


def _on_off(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in ("on", "yes", "true", "1"):
        return True
    if v in ("off", "no", "false", "0"):
        return False
    raise UsageError(f"{name} takes on or off, not {value!r}")


def _pct(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


def _print_build(rep: dict) -> None:
    big = rep.get("largest_cluster") or {}
    cj = ", ".join(f"{k} {v:,}" for k, v in rep["coinjoins"].items() if v) or "none"
    console.print(
        f"{'updated' if rep['incremental'] else 'built'} clustering of {rep['addresses']:,} addresses "
        f"({rep['new_txs']:,} of {rep['txs']:,} txs processed) in {rep['seconds']:.2f} s: "
        f"{rep['clusters']:,} clusters ({rep['singletons']:,} single addresses), largest "
        f"{big.get('n_addresses', 0):,} addresses (cluster {big.get('cluster_id')})", highlight=False)
    console.print(f"  merges {rep['merges']:,} ({rep['merges_provisional']:,} provisional), refused "
                  f"{rep['refused']:,}; change links {rep['change_links_settled']:,} settled, "
                  f"{rep['change_links_provisional']:,} provisional; CoinJoins: {cj}", highlight=False)
    console.print(f"  change: {rep['params']['change']}; CoinJoin filter "
                  f"{'on' if rep['params']['coinjoin_filter'] else 'off'}; service anchors "
                  f"{rep['anchors']:,} ({rep['anchor_services']} services); tip {rep['tip']['height']}",
                  highlight=False)


def _print_show(s: dict, page: dict) -> None:
    kv_table(f"cluster {s['cluster_id']}", [
        ("addresses", f"{s.get('n_addresses', page['n_addresses']):,}"),
        ("transactions", f"{s.get('n_txs', 0):,}"),
        ("balance", btc(s.get("balance"))), ("received", btc(s.get("total_received"))),
        ("first seen (height)", s.get("first_height")), ("last seen (height)", s.get("last_height")),
        ("label", s.get("label") or ""),
    ])
    rows_table(f"addresses, page {page['page']} of {page['pages']}",
               ["address_id", "address", "type", "first height"],
               [(r["address_id"], r.get("address"), r.get("script_type"), r.get("first_height"))
                for r in page["addresses"]])


def _print_why(w: dict) -> None:
    if not w["linked"]:
        console.print(f"not linked: {w['address_a']} is in cluster {w['cluster_a']}, "
                      f"{w['address_b']} in cluster {w['cluster_b']}", highlight=False)
        return
    console.print(f"linked in cluster {w['cluster_a']} by {len(w['steps'])} merge(s):", highlight=False)
    rows_table(None, ["#", "from", "to", "heuristic", "transaction"],
               [(i + 1, s["from"], s["to"],
                 s["heuristic"] + (f" ({', '.join(s['change_heuristics'])})" if s["change_heuristics"] else "")
                 + (" provisional" if s["provisional"] else ""), s["txid"])
                for i, s in enumerate(w["steps"])])


def _print_evaluation(r: dict) -> None:
    c, b = r["clustering"], r["multi_input_baseline"]
    rows = []
    for label, x in (("clustering", c), ("multi-input alone", b)):
        rows.append((label, _pct(x["pairwise_entity"]["precision"], 3), _pct(x["pairwise_entity"]["recall"]),
                     _pct(x["bcubed_entity"]["precision"], 3), _pct(x["bcubed_entity"]["recall"]),
                     _pct(x["pairwise_wallet"]["precision"], 3), _pct(x["pairwise_wallet"]["recall"]),
                     x["largest_cluster"]["distinct_true"], x["services"]["clusters_with_several_services"]))
    rows_table(f"address clustering vs truth ({c['addresses']:,} addresses; change: {r['params']['change']})",
               ["", "pair P (entity)", "pair R", "addr P (B3)", "addr R", "pair P (wallet)", "pair R",
                "entities in largest", "multi-service clusters"], rows)
    ratio = r["recall_vs_multi_input"]
    console.print(f"recall vs multi-input alone: pairwise x{ratio['pairwise_entity'] or 0:.2f}, "
                  f"address-weighted x{ratio['bcubed_entity'] or 0:.2f}", highlight=False)
    rows_table(f"change detection ({r['change']['eligible_with_change']:,} eligible txs with a true change)",
               ["heuristic", "answers", "precision", "coverage"],
               [(k, f"{v['answers']:,}", _pct(v["precision"]), _pct(v["coverage"]))
                for k, v in r["change"]["heuristics"].items()])
    rows_table("CoinJoin detection", ["protocol", "detected", "true", "precision", "recall"],
               [(k, f"{v['detected']:,}", f"{v['true']:,}", _pct(v["precision"]), _pct(v["recall"]))
                for k, v in r["coinjoin"].items()])


def _demo_scene(chain, truth, out) -> None:
    from chaintrail.cli.cluster_demo import cluster_scene

    cluster_scene(chain, truth, out)


def register(app: typer.Typer) -> None:
    from chaintrail.cli import demo_cmd

    if _demo_scene not in demo_cmd.SCENES:
        demo_cmd.SCENES.append(_demo_scene)
    cluster_app = typer.Typer(help="Address clustering: build, show, why.", no_args_is_help=True)
    app.add_typer(cluster_app, name="cluster")

    @cluster_app.command("build")
    def build(
        change: str = typer.Option("default", "--change",
                                   help="Change heuristics: none, default, or names joined by ',' (all "
                                        "agree), '|' (either) and '-' (but not), e.g. "
                                        "fresh-address,optimal-change. See docs/clustering.md."),
        coinjoin_filter: str = typer.Option("on", "--coinjoin-filter",
                                            help="on: skip detected CoinJoins in the multi-input heuristic."),
        horizon: Optional[int] = typer.Option(None, "--horizon",
                                              help="Blocks after a transaction when its change link is "
                                                   "final (default 144)."),
        max_change_outputs: Optional[int] = typer.Option(
            None, "--max-change-outputs", help="Only transactions with at most this many outputs get a "
            "change link (default 3; 0: no limit)."),
        guard: str = typer.Option("on", "--guard", help="on: refuse merges of clusters holding different "
                                  "tagged services, and change links whose transaction already pays "
                                  "the sender's cluster."),
        cannot_link: str = typer.Option("off", "--cannot-link", help="on: the payees of a sender's "
                                         "transactions never join its cluster by a change link."),
        full: bool = typer.Option(False, "--full", help="Rebuild from scratch (default: continue from "
                                  "the saved state when the parameters and tags are unchanged)."),
        store: Optional[str] = StoreOpt, json_out: bool = JsonOpt,
    ) -> None:
        """Cluster the store's addresses (incremental after new blocks)."""
        from chaintrail.cluster.build import build_clusters
        from chaintrail.cluster.params import (
            DEFAULT_HORIZON,
            DEFAULT_MAX_CHANGE_OUTPUTS,
            ClusterParams,
        )

        g = _on_off(guard, "--guard")
        mco = DEFAULT_MAX_CHANGE_OUTPUTS if max_change_outputs is None else (max_change_outputs or None)
        params = ClusterParams(change=change, coinjoin_filter=_on_off(coinjoin_filter, "--coinjoin-filter"),
                               horizon=DEFAULT_HORIZON if horizon is None else horizon,
                               max_change_outputs=mco, guard_tags=g, guard_other_output=g,
                               cannot_link=_on_off(cannot_link, "--cannot-link"))
        if params.horizon < 0:
            raise UsageError("--horizon must be 0 or more")
        rep = build_clusters(store, params, full=full)
        if json_out:
            print_json(rep)
        else:
            _print_build(rep)

    @cluster_app.command("show")
    def show(
        ref: str = typer.Argument(..., metavar="ADDRESS|CLUSTER_ID"),
        page: int = typer.Option(1, "--page", help="Page of addresses (1-based)."),
        page_size: int = typer.Option(100, "--page-size", help="Addresses per page."),
        store: Optional[str] = StoreOpt, json_out: bool = JsonOpt,
    ) -> None:
        """A cluster's figures and one page of its addresses."""
        from chaintrail.chain import open as open_chain
        from chaintrail.cluster.query import Clusters

        if page_size < 1:
            raise UsageError("--page-size must be at least 1")
        c = Clusters(open_chain(store))
        r = c.ref(ref)
        s = c.summary(r)
        p = c.page(r, page, page_size)
        if json_out:
            print_json({**s, **p})
        else:
            _print_show(s, p)

    @cluster_app.command("info")
    def info(store: Optional[str] = StoreOpt, json_out: bool = JsonOpt) -> None:
        """How the store's clustering was made: parameters, tip, tags, time (to reproduce it)."""
        from chaintrail.chain import open as open_chain
        from chaintrail.cluster.query import Clusters

        e = Clusters(open_chain(store)).entry
        out = {"params": e["params"], "tip": e["tip"], "built": e.get("built"), "tags": e.get("tags"),
               "counts": e.get("counts"), "settled_upto_tx": e.get("settled_upto"),
               "incremental": e.get("incremental"), "report": e.get("report")}
        if json_out:
            print_json(out)
            return
        p = e["params"]
        kv_table("clustering", [
            ("built", out["built"]), ("tip", f"{e['tip']['height']} {e['tip']['hash']}"),
            ("change", p["change"]), ("CoinJoin filter", "on" if p["coinjoin_filter"] else "off"),
            ("horizon (blocks)", p["horizon"]), ("max change outputs", p["max_change_outputs"]),
            ("guard (tags / other output / cannot-link)",
             f"{p['guard_tags']} / {p['guard_other_output']} / {p['cannot_link']}"),
            ("tags", out["tags"]), ("clusters", f"{out['report']['clusters']:,}"),
        ])
        console.print(f"reproduce: chaintrail cluster build --full --change '{p['change']}' --coinjoin-filter "
                      f"{'on' if p['coinjoin_filter'] else 'off'} --horizon {p['horizon']} "
                      f"--max-change-outputs {p['max_change_outputs'] or 0} --guard "
                      f"{'on' if p['guard_tags'] else 'off'} --cannot-link {'on' if p['cannot_link'] else 'off'}",
                      soft_wrap=True, highlight=False)

    @cluster_app.command("why")
    def why(
        address_a: str = typer.Argument(..., metavar="ADDRESS_A"),
        address_b: str = typer.Argument(..., metavar="ADDRESS_B"),
        store: Optional[str] = StoreOpt, json_out: bool = JsonOpt,
    ) -> None:
        """The transactions and heuristics that link two addresses, or "not linked"."""
        from chaintrail.chain import open as open_chain
        from chaintrail.cluster.query import Clusters

        w = Clusters(open_chain(store)).why(address_a, address_b)
        if json_out:
            print_json(w)
        else:
            _print_why(w)

    @app.command("evaluate")
    def evaluate(
        truth: str = typer.Option(..., "--truth", help="The truth/ directory of `chaintrail simulate`."),
        store: Optional[str] = StoreOpt, json_out: bool = JsonOpt,
    ) -> None:
        """Score the clustering, change and CoinJoin detection against a simulator's truth."""
        from chaintrail.evaluate.report import evaluate_store

        r = evaluate_store(store, truth)
        if json_out:
            print_json(r)
        else:
            _print_evaluation(r)
