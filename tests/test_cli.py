"""The command line as users run it: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from conftest import BLOCKS, BUILTIN, needs_shared


def run(*args, check=None):
    p = subprocess.run([sys.executable, "-m", "chaintrail", *map(str, args)], capture_output=True, text=True)
    if check is not None:
        assert p.returncode == check, p.stderr
    return p


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = tmp_path_factory.mktemp("cli") / "store"
    run("ingest", BUILTIN, "--store", s, "--json", check=0)
    return s


def test_status_tx_address_block_sql(store):
    st = json.loads(run("status", "--store", store, "--json", check=0).stdout)
    assert st["tip_height"] == 599 and st["counts"]["blocks"] == 600 and st["schema_version"] >= 1
    tx = json.loads(run("tx", "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16",
                        "--store", store, "--json", check=0).stdout)
    assert tx["height"] == 170 and len(tx["outputs"]) == 2
    a = json.loads(run("address", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "--store", store, "--json",
                       check=0).stdout)
    assert a["balance"] == 5_000_000_000
    b = json.loads(run("block", "170", "--store", store, "--json", check=0).stdout)
    assert b["n_tx"] == 2 and b["txids"][1].startswith("f4184fc5")
    out = run("sql", "select count(*) as n from txs", "--store", store, "--format", "csv", check=0).stdout
    assert out.splitlines() == ["n", "609"] or out.splitlines()[0] == "n"
    assert int(out.splitlines()[1]) == json.loads(run("status", "--store", store, "--json").stdout)["counts"]["txs"]
    human = run("status", "--store", store, check=0).stdout
    assert "599" in human


def test_env_var_picks_the_store(store):
    p = subprocess.run([sys.executable, "-m", "chaintrail", "status", "--json"], capture_output=True,
                       text=True, env={**__import__("os").environ, "CHAINTRAIL_STORE": str(store)})
    assert p.returncode == 0 and json.loads(p.stdout)["tip_height"] == 599


@pytest.mark.parametrize("args, needle", [
    (["tx", "00" * 32], "not in the store"),
    (["tx", "xyz"], "not a txid"),
    (["address", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"], "no outputs"),
    (["address", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"], "checksum"),
    (["block", "100000"], "not in the store"),
    (["sql", "select * from nosuchtable"], "sql:"),
])
def test_errors_are_one_line(store, args, needle):
    p = run(*args, "--store", store)
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], p.stderr


def test_missing_store(tmp_path):
    p = run("status", "--store", tmp_path / "nope")
    assert p.returncode != 0 and "no chaintrail store" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_decode_without_store():
    raw = (BUILTIN / "blk00000.dat").read_bytes()
    n = int.from_bytes(raw[4:8], "little")
    genesis_hex = raw[8:8 + n].hex()
    j = json.loads(run("decode", genesis_hex, "--json", check=0).stdout)
    assert j["hash"] == "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
    coinbase_tx = raw[8 + 81:8 + n].hex()
    t = json.loads(run("decode", coinbase_tx, "--json", check=0).stdout)
    assert t["txid"] == "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
    p = run("decode", "deadbeef")
    assert p.returncode != 0 and "not a valid transaction or block" in p.stderr


@needs_shared
def test_decode_taproot_file():
    f = next((BLOCKS.parent / "txs").glob("tx-*.hex"))
    j = json.loads(run("decode", f, "--json", check=0).stdout)
    assert j["txid"] == f.stem[3:] and j["size"] > 98_000


def test_demo_runs(tmp_path):
    p = run("demo", "--store", tmp_path / "demo", "--quiet")
    assert p.returncode == 0, p.stderr
    assert "chaintrail demo" in p.stdout


def test_running_one_command_leaves_the_app_whole(monkeypatch, capsys):
    """The entry point builds only the command it runs; a second command in the same
    process (a notebook, a test runner) still finds every command."""
    from chaintrail.cli import main as cli

    def names() -> set:
        return {c.name or c.callback.__name__ for c in cli.app.registered_commands} | {
            g.name for g in cli.app.registered_groups}

    before = names()
    assert {"ingest", "decode", "cluster", "trace"} <= before
    raw = (BUILTIN / "blk00000.dat").read_bytes()
    coinbase_tx = raw[8 + 81:8 + int.from_bytes(raw[4:8], "little")].hex()
    monkeypatch.setattr(sys, "argv", ["chaintrail", "decode", coinbase_tx, "--json"])
    cli.main()
    assert json.loads(capsys.readouterr().out)["txid"].startswith("4a5e1e4b")
    assert names() == before
    monkeypatch.setattr(sys, "argv", ["chaintrail", "decode", "deadbeef"])
    with pytest.raises(SystemExit) as exc:  # a failing command leaves it whole too
        cli.main()
    assert exc.value.code != 0 and names() == before


_WRAPPED_INTERRUPT = """
import os, signal, sys, time
from chaintrail.cli.main import app, main

@app.command("nap")
def nap() -> None:
    try:  # what DuckDB does with a Ctrl-C that lands inside one of its Python callbacks
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    except KeyboardInterrupt as exc:
        raise RuntimeError("Invalid Input Error: reading the schema failed: KeyboardInterrupt") from exc

sys.argv = ["chaintrail", "nap"]
main()
"""


def test_ctrl_c_wrapped_by_a_library_is_reported_as_an_interrupt():
    # a shell's background jobs inherit SIGINT ignored; give the child Python's handler back
    r = subprocess.run([sys.executable, "-c", _WRAPPED_INTERRUPT], capture_output=True, text=True,
                       timeout=60, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert r.returncode == 130
    assert r.stderr.strip() == "chaintrail: interrupted"
