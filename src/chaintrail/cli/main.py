"""The ``chaintrail`` command line: a thin shell over the Python API.

Each command group lives in its own module under ``chaintrail.cli`` and
registers itself on the Typer app; failures print a one-line cause on
stderr and exit non-zero.
"""

from __future__ import annotations

import importlib
import signal
import sys
from contextlib import contextmanager

import typer

from chaintrail.errors import ChaintrailError

app = typer.Typer(
    name="chaintrail",
    help="Open, explainable Bitcoin forensics and compliance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Open, explainable Bitcoin forensics and compliance."""

# Command modules, each exposing register(app). Order is the order of --help.
COMMAND_MODULES = (
    "chaintrail.cli.store_cmds",
    "chaintrail.cli.decode_cmd",
    "chaintrail.cli.demo_cmd",
    "chaintrail.cli.simulate_cmd",
    "chaintrail.cli.attribution_cmds",
    "chaintrail.cli.cluster_cmds",
    "chaintrail.cli.trace_cmds",
    "chaintrail.cli.desk_cmds",
    "chaintrail.cli.serve_cmds",
    "chaintrail.cli.spark_cmds",
    "chaintrail.cli.monitor_cmds",
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # a command group not written yet
            raise
        module.register(app)


_register_all()


@contextmanager
def _only(argv: list[str]):
    """Build only the command being run (Typer otherwise converts every command at each
    start); the app is whole again afterwards, for callers that run several commands."""
    name = argv[0] if argv and not argv[0].startswith("-") else None

    def named(c) -> str:
        return c.name or c.callback.__name__.lower().replace("_", "-")

    cmds = [c for c in app.registered_commands if named(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    saved = app.registered_commands[:], app.registered_groups[:]
    if cmds or groups:
        app.registered_commands[:], app.registered_groups[:] = cmds, groups
    try:
        yield
    finally:
        app.registered_commands[:], app.registered_groups[:] = saved


_interrupted = False


def _on_sigint(signum: int, frame: object) -> None:
    """Remember the Ctrl-C, then raise it as Python does by default."""
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point: run the app, turning known errors into one line."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        with _only(sys.argv[1:]):
            rc = app(standalone_mode=False)
    except ChaintrailError as exc:
        if _interrupted:  # an interrupt that surfaced as a library's error is still an interrupt
            print("chaintrail: interrupted", file=sys.stderr)
            sys.exit(130)
        print(f"chaintrail: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("chaintrail: interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("chaintrail: aborted", file=sys.stderr)
        sys.exit(1)
    except typer.TyperException as exc:  # usage errors: Typer prints them the usual way
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        sys.exit(getattr(exc, "exit_code", 2))
    except Exception:
        # DuckDB and pyarrow wrap a KeyboardInterrupt raised inside their callbacks in their own
        # exception types; the flag tells that apart from a real failure.
        if not _interrupted:
            raise
        print("chaintrail: interrupted", file=sys.stderr)
        sys.exit(130)
    if isinstance(rc, int) and rc:
        if rc == 130:  # click turns Ctrl-C into this return code when not standalone
            print("chaintrail: interrupted", file=sys.stderr)
        sys.exit(rc)


if __name__ == "__main__":
    main()
