"""The clustering commands as users run them: build, show, why, evaluate,
SQL over the new views; exit codes and one-line errors."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys

import pytest

from conftest import BUILTIN


def run_process(*args, check=None):
    """The command as a user runs it: a new process."""
    p = subprocess.run([sys.executable, "-m", "chaintrail", *map(str, args)], capture_output=True, text=True)
    if check is not None:
        assert p.returncode == check, p.stderr
    return p


def run(*args, check=None):
    """The command through the CLI's entry point, in this process (no start-up cost per call)."""
    from chaintrail.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["chaintrail", *map(str, args)]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
    p = subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())
    if check is not None:
        assert p.returncode == check, p.stderr
    return p


@pytest.fixture(scope="module")
def sim_store(tmp_path_factory):
    d = tmp_path_factory.mktemp("clcli")
    run("simulate", "--out", d / "sim", "--txs", "6000", "--seed", "3", "--profile", "test", "--quiet",
        check=0)
    run("ingest", d / "sim" / "blocks", "--store", d / "store", "--json", check=0)
    return d


def test_build_show_why_and_sql(sim_store):
    store = sim_store / "store"
    rep = json.loads(run("cluster", "build", "--store", store, "--json", check=0).stdout)
    assert rep["clusters"] > 0 and rep["params"]["coinjoin_filter"] is True
    info = json.loads(run("cluster", "info", "--store", store, "--json", check=0).stdout)
    assert info["params"] == rep["params"] and info["tip"] == rep["tip"]
    text = run("cluster", "info", "--store", store, check=0).stdout
    assert "reproduce" in text and "cluster build --full" in text
    top = json.loads(run("sql", "select * from clusters order by n_addresses desc limit 10",
                         "--store", store, "--format", "json", check=0).stdout)
    assert len(top) == 10 and top[0]["n_addresses"] >= top[-1]["n_addresses"]
    cid = top[0]["cluster_id"]
    show = json.loads(run("cluster", "show", cid, "--store", store, "--json", "--page-size", "7",
                          check=0).stdout)
    assert show["cluster_id"] == cid and len(show["addresses"]) == 7
    assert show["pages"] == -(-top[0]["n_addresses"] // 7)
    a, b = show["addresses"][0]["address"], show["addresses"][-1]["address"]
    by_addr = json.loads(run("cluster", "show", a, "--store", store, "--json", check=0).stdout)
    assert by_addr["cluster_id"] == cid
    why = json.loads(run("cluster", "why", a, b, "--store", store, "--json", check=0).stdout)
    assert why["linked"] and why["steps"][0]["from"] == a and why["steps"][-1]["to"] == b
    text = run("cluster", "why", a, b, "--store", store, check=0).stdout
    assert "linked in cluster" in text
    other = json.loads(run("sql", f"select address from addresses where cluster_id <> {cid} limit 1",
                           "--store", store, "--format", "json", check=0).stdout)[0]["address"]
    assert "not linked" in run("cluster", "why", a, other, "--store", store, check=0).stdout
    cj = json.loads(run("sql", "select coinjoin_protocol, count(*) as n from txs where coinjoin group by 1",
                        "--store", store, "--format", "json", check=0).stdout)
    assert {r["coinjoin_protocol"] for r in cj} <= {"wasabi1", "wasabi2", "whirlpool", "joinmarket", "generic"}


def test_evaluate_table_and_json(sim_store):
    store = sim_store / "store"
    run("cluster", "build", "--store", store, "--change", "fresh-address,rbf", "--json", check=0)
    r = json.loads(run("evaluate", "--store", store, "--truth", sim_store / "sim" / "truth", "--json",
                       check=0).stdout)
    assert r["params"]["change"] == "fresh-address,rbf"
    assert 0 < r["clustering"]["pairwise_entity"]["precision"] <= 1
    assert set(r["coinjoin"]) >= {"wasabi1", "wasabi2", "whirlpool", "joinmarket", "any"}
    assert "fresh-address" in r["change"]["heuristics"]
    out = run("evaluate", "--store", store, "--truth", sim_store / "sim" / "truth", check=0).stdout
    assert "CoinJoin detection" in out and "change detection" in out


def test_errors_are_one_line(sim_store, tmp_path):
    store = sim_store / "store"
    for args, code in [
        (("cluster", "build", "--store", store, "--change", "fresh-adress"), 1),
        (("cluster", "build", "--store", store, "--coinjoin-filter", "maybe"), 2),
        (("cluster", "show", "999999999", "--store", store), 1),
        (("cluster", "show", "not-an-address", "--store", store), 1),
        (("cluster", "show", "0", "--store", store, "--page", "99999"), 1),
        (("evaluate", "--store", store, "--truth", tmp_path), 1),
    ]:
        p = run(*args)
        assert p.returncode == code, (args, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1 and p.stderr.startswith("chaintrail: error:"), p.stderr


def test_show_before_build_says_what_to_do(tmp_path):
    store = tmp_path / "s"
    run("ingest", BUILTIN / "blk00000.dat", "--store", store, "--json", check=0)
    p = run_process("cluster", "show", "0", "--store", store)
    assert p.returncode == 1 and "cluster build" in p.stderr
