"""Attribution commands: tags import/show, sanctions import/list, screen, screen-name."""

from __future__ import annotations

from typing import Optional

import typer

from chaintrail.cli.output import console, print_json, rows_table, warn
from chaintrail.errors import ChaintrailError

StoreOpt = typer.Option(None, "--store", envvar="CHAINTRAIL_STORE",
                        help="Store directory (default ./chaintrail-data).")
JsonOpt = typer.Option(False, "--json", help="Machine-readable JSON output.")


class ScreenError(ChaintrailError):
    """A screening that could not run: exit status 2, as for an unscreenable address."""

    exit_code = 2


def _tag_rows(tags: list[dict]) -> list[tuple]:
    return [(t.get("label"), t.get("category") or "", t.get("abuse") or "", t.get("actor") or "",
             f"{t.get('confidence') or '?'} ({t.get('confidence_score')})", t.get("source") or "")
            for t in tags]


def _print_tag_report(rep: dict) -> None:
    for e in rep["file_errors"]:
        warn(e)
    skipped = ", ".join(f"{v:,} {k}" for k, v in rep["skipped"].items()) or "none"
    console.print(f"imported {rep['imported']:,} of {rep['read']:,} tags from {rep['files']} files "
                  f"({rep['tags_in_store']:,} in the store); skipped: {skipped}")
    if rep["other_currencies"]:
        top = ", ".join(f"{k} {v:,}" for k, v in list(rep["other_currencies"].items())[:8])
        console.print(f"  other currencies: {top}")
    for s in rep["invalid_samples"]:
        console.print(f"  invalid: {s['reason']} ({s['file']})")
    if rep["unknown_concepts"]:
        console.print("  categories outside the taxonomy: "
                      + ", ".join(f"{k} {v:,}" for k, v in rep["unknown_concepts"].items()))
    if rep.get("actors"):
        console.print(f"  actors: {rep['actors']:,}")
    cb = rep.get("coinbases")
    if cb:
        console.print(f"  coinbases: {cb['labelled']:,} of {cb['blocks']:,} blocks labelled with a pool "
                      f"({', '.join(f'{k} {v}' for k, v in cb['by_method'].items()) or 'none'})")
        for reason, n in cb["unreadable"].items():
            warn(f"{n} coinbases not read again: {reason}")


def register(app: typer.Typer) -> None:
    tags_app = typer.Typer(help="Attribution tags: GraphSense TagPacks, CSV, mining pools.",
                           no_args_is_help=True)
    sanctions_app = typer.Typer(help="Sanctions lists: OFAC sdn.csv, sdn_advanced.xml, plain lists.",
                                no_args_is_help=True)
    app.add_typer(tags_app, name="tags")
    app.add_typer(sanctions_app, name="sanctions")

    @tags_app.command("import")
    def tags_import(
        paths: list[str] = typer.Argument(..., help="TagPack/ActorPack YAML, CSV, pools.json or "
                                          "pool-list.json files, or directories of them."),
        store: Optional[str] = StoreOpt, json_out: bool = JsonOpt,
    ) -> None:
        """Import tags (re-importing a file replaces its earlier tags)."""
        from chaintrail.attribution.service import import_tags

        rep = import_tags(store, paths)
        if json_out:
            print_json(rep)
        else:
            _print_tag_report(rep)

    @tags_app.command("show")
    def tags_show(ref: str = typer.Argument(..., metavar="ADDRESS|CLUSTER_ID"),
                  store: Optional[str] = StoreOpt, json_out: bool = JsonOpt) -> None:
        """Tags of an address and its cluster, or the labels of a cluster."""
        from chaintrail.attribution.service import show_tags
        from chaintrail.chain import open as open_chain

        out = show_tags(open_chain(store), ref)
        if json_out:
            print_json(out)
            return
        if "address" in out:
            rows_table(f"tags of {out['address']}", ["label", "category", "abuse", "actor",
                                                      "confidence", "source"], _tag_rows(out["tags"]))
            for s in out["sanctions"]:
                console.print(f"listed on {s['list']} since {s['listed_since']}: {s['entity']}")
        labels = out.get("labels", out.get("cluster_labels", []))
        if out.get("cluster_id") is not None:
            rows_table(f"labels of cluster {out['cluster_id']}",
                       ["label", "category", "abuse", "actor", "confidence", "addresses"],
                       [(x["label"], x["category"] or "", x["abuse"] or "", x["actor"] or "",
                         f"{x['confidence']} ({x['confidence_score']})", x["n_addresses"])
                        for x in labels])
        fm = out.get("suspected_false_merge")
        if fm:
            warn(f"cluster {fm['cluster_id']} holds {fm['n_services']} different services "
                 f"(suspected false merge): "
                 + ", ".join(f"{s['service']} ({s['address']})" for s in fm["services"]))

    @sanctions_app.command("import")
    def sanctions_import(
        file: str = typer.Argument(..., help="sdn.csv, sdn_advanced.xml, or a plain list "
                                   "(one address a line, or a JSON array)"),
        list_name: Optional[str] = typer.Option(None, "--list", help="List name (default: ofac-sdn "
                                                "for OFAC files, else the file's name)."),
        date: Optional[str] = typer.Option(None, "--date", help="List date YYYY-MM-DD (when the "
                                           "file does not state it)."),
        asset: Optional[str] = typer.Option(None, "--asset", help="Asset of a plain list (default "
                                            "from a _XBT-style file name, else XBT)."),
        store: Optional[str] = StoreOpt, json_out: bool = JsonOpt,
    ) -> None:
        """Import a sanctions list as a new version of its list."""
        from chaintrail.attribution.sanctions import parse_date
        from chaintrail.attribution.service import import_sanctions

        rep = import_sanctions(store, file, list_name, parse_date(date) if date else None, asset)
        for w in rep["warnings"]:
            warn(w)
        if json_out:
            print_json(rep)
            return
        if rep["unchanged"]:
            console.print(f"{rep['list']}: unchanged (same file as version {rep['version']})")
        else:
            console.print(f"{rep['list']} version {rep['version']} ({rep['list_date']}): "
                          f"{rep['addresses']:,} Bitcoin addresses, {rep['valid']:,} valid; "
                          f"+{rep['added']:,} -{rep['removed']:,} since the previous version")
        for bad in rep["invalid"]:
            warn(f"invalid address listed for {bad['entity'] or 'an unnamed entry'}: {bad['reason']}")
        if rep["other_assets"]:
            console.print("  other assets (not imported): "
                          + ", ".join(f"{k} {v}" for k, v in rep["other_assets"].items()))

    @sanctions_app.command("list")
    def sanctions_list(store: Optional[str] = StoreOpt, json_out: bool = JsonOpt) -> None:
        """Imported list versions: dates, counts, source files."""
        from chaintrail.attribution.service import list_sanctions

        vs = list_sanctions(store)
        if json_out:
            print_json(vs)
            return
        rows_table("sanctions lists", ["list", "version", "list date", "imported", "addresses",
                                       "invalid", "current", "source"],
                   [(v["list"], v["version"], v["list_date"], v["imported"], v["n_addresses"],
                     v["n_invalid"], "yes" if v.get("current") else "", v["source_file"]) for v in vs])

    @app.command()
    def screen(
        addresses: Optional[list[str]] = typer.Argument(None, metavar="ADDRESS..."),
        file: Optional[str] = typer.Option(None, "--file", help="Addresses, one a line."),
        fail_on: str = typer.Option("any", "--fail-on", help="What makes exit status 1: any "
                                    "(lists and tags), abuse (lists and abuse tags), sanctions."),
        store: Optional[str] = StoreOpt, json_out: bool = JsonOpt,
    ) -> None:
        """Screen addresses: exit 0 clean, 1 hit, 2 error (an address that cannot be screened)."""
        from chaintrail.attribution.screening import (
            FAIL_ON,
            Screener,
            exit_status,
            read_address_file,
        )
        from chaintrail.chain import open as open_chain

        if fail_on not in FAIL_ON:
            raise ScreenError(f"--fail-on must be one of {', '.join(FAIL_ON)}")
        if not addresses and not file:
            raise ScreenError("give addresses or --file FILE")
        try:
            screener = Screener(open_chain(store))
            entry = screener.chain._store.manifest.extra.get("attribution") or {}
            if not entry.get("sanction_versions") and not entry.get("tag_files"):
                raise ScreenError(f"{screener.chain.path}: no sanctions list or tags imported: "
                                  "nothing to screen against")
            if not entry.get("sanction_versions"):
                warn("no sanctions list imported: screening against tags only")
            if file:
                arr = read_address_file(file)
                outcome = screener.screen_batch(arr)
                results = [outcome.results[i] for i in sorted(outcome.results)]
                if addresses:
                    results += screener.screen(addresses)
                counts = outcome.counts(fail_on)
            else:
                results = screener.screen(addresses)
                counts = None
        except ScreenError:
            raise
        except ChaintrailError as exc:
            raise ScreenError(str(exc)) from None
        rc = exit_status(results, fail_on)
        if json_out:
            print_json({"summary": counts, "exit_status": rc,
                        "results": [r.to_dict() for r in results]} if counts is not None
                       else {"exit_status": rc, "results": [r.to_dict() for r in results]})
        else:
            if counts is not None:
                console.print(f"{counts['addresses']:,} addresses: {counts['hits']:,} hits, "
                              f"{counts['errors']:,} errors, {counts['clean']:,} clean")
            from chaintrail.cli.screen_output import print_screen

            print_screen([r.to_dict() for r in results], fail_on)
        if rc:
            raise typer.Exit(rc)

    @app.command("screen-name")
    def screen_name(
        names: list[str] = typer.Argument(..., metavar="NAME..."),
        country: Optional[str] = typer.Option(None, "--country", help="Customer's country "
                                              "(ISO code or name): boosts entries of that country."),
        threshold: float = typer.Option(0.90, "--threshold", help="Lowest score reported (0-1)."),
        limit: int = typer.Option(10, "--limit", help="Matches shown per name."),
        sdn: Optional[str] = typer.Option(None, "--sdn", help="sdn.csv or sdn_advanced.xml to screen "
                                          "against instead of the store's last SDN import."),
        store: Optional[str] = StoreOpt, json_out: bool = JsonOpt,
    ) -> None:
        """Screen customer names against the SDN names and aliases (exit 1 when any matches)."""
        from chaintrail.attribution.service import screen_names, sdn_entries

        entries = sdn_entries(store, sdn)
        results = screen_names(names, entries, country, threshold, limit)
        if json_out:
            print_json([{"query": n, "matches": [m.to_dict() for m in ms]}
                        for n, ms in zip(names, results)])
        else:
            for n, ms in zip(names, results):
                if not ms:
                    console.print(f"[green]no match[/green] {n}", highlight=False)
                    continue
                rows_table(f"{n}: {len(ms)} match(es)",
                           ["score", "SDN name", "matched", "type", "programs", "countries"],
                           [(f"{m.score:.3f}", m.name, m.matched_name + (" (alias)" if m.is_alias else ""),
                             m.sdn_type, "; ".join(m.programs), "; ".join(m.countries[:3])
                             + (" *" if m.country_match else "")) for m in ms])
        if any(results):
            raise typer.Exit(1)

