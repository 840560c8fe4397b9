"""How `chaintrail screen` prints its results for people: one line an address
and one a finding, shared by the instant screen and the full command."""

from __future__ import annotations

from chaintrail.attribution.screen_policy import is_hit


def print_screen(results: list[dict], fail_on: str) -> None:
    """Print screening results (their plain dicts) under the --fail-on policy."""
    from chaintrail.cli.output import console

    for d in results:
        hit = is_hit(d, fail_on)
        state = "[red]HIT[/red]" if hit else ("[yellow]ERROR[/yellow]" if not d["valid"] else "[green]clean[/green]")
        console.print(f"{state} {d['address']}" + (f"  {d['error']}" if d["error"] else ""), highlight=False)
        for s in d["sanctions"]:
            console.print(f"    listed: {s['list']} v{s['version']}: {s['entity'] or '(no entity)'}"
                          f" [{s['programs'] or '-'}] since {s['listed_since']}", highlight=False)
        for t in d["tags"][:10]:
            console.print(f"    tag: {t['label']} ({t['category'] or t['abuse'] or '-'}, "
                          f"{t['confidence']}) {t['source'] or ''}", highlight=False)
        for s in d["cluster_sanctions"][:10]:
            console.print(f"    cluster {d['cluster_id']}: {s['member']} listed on {s['list']} "
                          f"({s['entity']}); why: {s['evidence']}", highlight=False)
        for t in d["cluster_tags"][:10]:
            console.print(f"    cluster {d['cluster_id']}: {t['label']} on {t['n_addresses']} "
                          f"address(es); why: {t.get('evidence', '')}", highlight=False)
        for f in d["formerly_listed"]:
            console.print(f"    formerly listed on {f['list']} ({f['first_listed']} to "
                          f"{f['last_listed']})", highlight=False)
