"""Commands of the shells: `serve` (REST API and web UI) and `report` (one
self-contained HTML file about an address or cluster)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup

from chaintrail.cli.output import console, print_json

StoreOpt = typer.Option(None, "--store", envvar="CHAINTRAIL_STORE",
                        help="Store directory (default ./chaintrail-data).")


class ReportGroup(TyperGroup):
    """`report ADDRESS ...` runs `report address ADDRESS ...`; `report activity ...` and other
    report kinds are subcommands."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["address", *args]
        return super().resolve_command(ctx, args)


report_app = typer.Typer(cls=ReportGroup, no_args_is_help=True,
                         help="Self-contained HTML reports: about an address or cluster "
                              "(`report ADDRESS --out r.html`), customer activity "
                              "(`report activity`).")


def serve_store(store: str | None, host: str, port: int, keys_file: str | None, workers: int = 1) -> None:
    """Check the bind address and keys, open the store, and run the server until interrupted
    (in `workers` processes sharing the port; the store's arrays are shared through the page cache)."""
    import os

    import uvicorn

    from chaintrail.api.app import STORE_ENV, create_app
    from chaintrail.api.auth import ENV_FILE, ENV_KEYS, check_bind, read_keys

    keys = read_keys(keys_file)
    check_bind(host, keys)
    app = create_app(store, keys=keys)
    where = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    console.print(f"chaintrail serving {app.state.holder.path} on {where} (API docs {where}/docs); "
                  f"API keys {'required' if keys else 'off (loopback only)'}"
                  f"{f'; {workers} worker processes' if workers > 1 else ''}", highlight=False)
    if workers <= 1:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
        return
    # worker processes build their own app from the environment (checked above)
    os.environ[STORE_ENV] = str(app.state.holder.path)
    os.environ[ENV_KEYS] = ",".join(keys)
    os.environ.pop(ENV_FILE, None)
    del app
    uvicorn.run("chaintrail.api.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on. Any address but "
                                 "loopback needs API keys."),
        port: int = typer.Option(8000, "--port", help="TCP port."),
        api_keys_file: Optional[str] = typer.Option(None, "--api-keys-file",
                                                    help="File of API keys, one a line (or "
                                                         "$CHAINTRAIL_API_KEYS, comma-separated)."),
        workers: int = typer.Option(1, "--workers", min=1, max=64,
                                    help="Server processes (each answers requests on the same port)."),
        store: Optional[str] = StoreOpt,
    ) -> None:
        """Serve the REST API (/api/v1, docs at /docs) and the web UI over a store."""
        serve_store(store, host, port, api_keys_file, workers)

    app.add_typer(report_app, name="report")

    @report_app.command("address")
    def report(
        ref: str = typer.Argument(..., metavar="ADDRESS|CLUSTER_ID",
                                  help="An address, a cluster id (or cluster:ID)."),
        out: Path = typer.Option(..., "--out", "-o", help="The HTML file to write."),
        max_hops: int = typer.Option(4, "--max-hops", help="Hops of the trace and exposure."),
        direction: str = typer.Option("backward", "--direction",
                                      help="Direction of the report's trace graph."),
        policy: str = typer.Option("haircut", "--policy", help="Taint policy."),
        max_nodes: int = typer.Option(400, "--max-nodes", help="Nodes of the trace graph at most."),
        store: Optional[str] = StoreOpt,
        json_out: bool = typer.Option(False, "--json", help="Print what was written as JSON."),
    ) -> None:
        """Write one self-contained HTML report (summary, exposure charts, trace graph, evidence)."""
        from chaintrail.chain import open as open_chain
        from chaintrail.report import build_report

        chain = open_chain(store)
        html = build_report(chain, ref, max_hops=max_hops, direction=direction, policy=policy,
                            max_nodes=max_nodes)
        out.write_text(html, encoding="utf-8")
        info = {"out": str(out), "bytes": len(html.encode("utf-8")), "ref": ref}
        if json_out:
            print_json(info)
        else:
            console.print(f"wrote {out} ({info['bytes'] / 1e6:.1f} MB): report on {ref}", highlight=False)
