"""The privacy audit against the simulator's truth (per policy), its HTML
report, and the three tracing commands as users run them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import networkx as nx
import pytest

import chaintrail as ct
from chaintrail.trace import privacy_audit
from chaintrail.trace.policies import POLICY_NAMES
from chaintrail.trace.truthcheck import donation_check


@pytest.fixture(scope="module")
def check(eco_chain, eco):
    return donation_check(eco_chain, eco["truth"], hops=3)


def test_payments_are_the_true_donations(check):
    m = check["payments_matched"]
    assert m["found_txs"] == m["true_txs"] == m["both"]


@pytest.mark.parametrize("policy", POLICY_NAMES)
def test_audit_against_truth(check, policy):
    """Payers paid straight from exchange withdrawals, and from CoinJoin outputs, by value and
    by count: what the audit reports against what the simulator knows."""
    err = check["policies"][policy]["error"]
    assert abs(err["direct_value"]) < 0.005
    if policy == "poison":  # poison taints whole transactions: its exposure shares overstate
        assert err["exposure_direct"] > -0.005
    else:
        assert abs(err["exposure_direct"]) < 0.005
    assert abs(err["direct_count"]) < 0.02
    assert abs(err["coinjoin_value"]) < 0.01
    assert abs(err["coinjoin_count"]) < 0.02
    est = check["policies"][policy]["estimate"]
    # within k hops finds more than direct, and never more than the donors with exchange accounts
    assert est["audit_direct_value_share"] <= est["audit_within_k_value_share"] <= 1.0


def test_audit_report_and_html(eco_chain, eco_truth, tmp_path):
    rep = privacy_audit(eco_chain, [eco_truth["donation_address"]], hops=2, policies=("haircut", "fifo"))
    inc = rep.policies["haircut"]["incoming"]
    assert inc.payments == eco_truth["transactions"] and inc.value == eco_truth["value"]
    assert inc.counts["custodial_within_k"] >= inc.counts["custodial_direct"] > 0
    assert inc.by_service and all(s["category"] == "exchange" for s in inc.by_service)
    assert rep.findings and any("custodial" in f for f in rep.findings)
    html = rep.to_html(tmp_path / "audit.html")
    assert (tmp_path / "audit.html").read_text() == html
    assert "<svg" in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<script" not in html
    for f in rep.findings[:3]:
        assert f.split(":")[0][:40].replace("'", "&#x27;") in html
    d = json.loads(json.dumps(rep.to_dict(with_rows=False)))
    assert set(d["policies"]) == {"haircut", "fifo"}


# ---------------------------------------------------------------- the commands


def run(*args):
    """The command line as users run it: a fresh process (exit codes, one-line errors)."""
    return subprocess.run([sys.executable, "-m", "chaintrail", *map(str, args)], capture_output=True,
                          text=True, env={**__import__("os").environ, "COLUMNS": "200"})


def invoke(*args):
    """The same commands in this process (no interpreter start per call)."""
    from typer.testing import CliRunner

    from chaintrail.cli.main import app

    r = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    assert r.exit_code == 0, (r.output, r.exception)
    return r.output


def test_cli_trace_formats(eco, eco_truth, tmp_path):
    store, addr = eco["store"], eco_truth["donation_address"]
    d = json.loads(invoke("trace", addr, "--max-hops", 3, "--stop-at", "exchange", "--json",
                          "--store", store))
    assert d["summary"]["conserved"] and any(t["kind"] == "entity" for t in d["terminals"])
    rows = list(csv.DictReader(io.StringIO(invoke(
        "trace", addr, "--direction", "forward", "--policy", "fifo", "--csv", "--level", "address",
        "--max-hops", 2, "--store", store))))
    assert rows and any(r["source"] == addr and r["hop"] == "1" for r in rows)
    out = tmp_path / "g.graphml"
    invoke("trace", addr, "--graphml", "--out", out, "--level", "cluster", "--max-hops", 2,
           "--store", store)
    assert nx.read_graphml(out).number_of_edges() > 0
    assert "where the flow ended" in invoke("trace", addr, "--store", store, "--max-hops", 2)
    p = run("trace", addr, "--policy", "bogus", "--store", store)
    assert p.returncode != 0 and p.stderr.strip().count("\n") == 0 and "unknown policy" in p.stderr


def test_cli_small_trace_matches_kernel(eco, eco_chain, eco_truth):
    """A command-line process runs a small trace in plain Python (no JIT start-up): its answer is
    the kernel's, to the satoshi."""
    from chaintrail.trace import api, labels
    from chaintrail.trace.start import resolve_start

    a = eco_chain._arrays
    for o in resolve_start(eco_chain, eco_truth["donation_address"]).outputs.tolist():  # a payment received
        res = api.trace(eco_chain, [o], "backward", "haircut", max_hops=3, engine="kernel")
        if 3 < res.n_txs and res.work < 5_000:
            break
    assert 3 < res.n_txs and res.work < 5_000
    ref = labels.outpoints(a, [o])[0]
    res = api.trace(eco_chain, ref, "backward", "haircut", max_hops=3, engine="kernel")
    p = run("trace", ref, "--max-hops", 3, "--json", "--store", eco["store"])
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["summary"]["engine"] == "python"
    want = json.loads(res.to_json())
    for d in (got, want):
        d["summary"].pop("elapsed_s")
        d["summary"].pop("engine")
    assert got == want


def test_cli_exposure_and_audit(eco, eco_truth, tmp_path):
    store, addr = eco["store"], eco_truth["donation_address"]
    out = invoke("exposure", addr, "--direction", "incoming", "--max-hops", 3, "--explain",
                 "--store", store)
    assert "direct exposure" in out and "hop 1:" in out
    d = json.loads(invoke("exposure", addr, "--json", "--max-hops", 2, "--store", store))
    assert d["incoming"]["direct"] and d["outgoing"] is not None
    html = tmp_path / "report.html"
    out = invoke("privacy-audit", addr, "--html", html, "--policy", "haircut,tiho", "--hops", 2,
                 "--store", store)
    assert html.exists() and "custodial" in out
    assert json.loads(invoke("privacy-audit", addr, "--json", "--hops", 1, "--store", store))["findings"]
    p = run("exposure", addr, "--direction", "sideways", "--store", store)
    assert p.returncode != 0 and p.stderr.strip().count("\n") == 0 and "sideways" in p.stderr


def test_demo_run_scene_clusters_and_tags(eco, tmp_path):
    """`chaintrail demo`'s scene on an ingested store that nobody clustered or tagged yet."""
    import shutil

    from chaintrail.trace.demo import run_scene
    from chaintrail.trace.rooms import clusters, has_tags

    store = tmp_path / "store"
    shutil.copytree(eco["bare"], store)
    said: list[str] = []
    scene = run_scene(ct.open(store), eco["truth"], tmp_path, say=said.append, hops=2,
                      policies=("haircut", "tiho"))
    after = ct.open(store)
    assert clusters(after) is not None and has_tags(after)
    assert (tmp_path / "privacy-audit.html").exists() and (tmp_path / "service-tags.csv").exists()
    assert any(line.startswith("clustered the store") for line in said)
    assert any("Checked against the simulator's truth" in line for line in said)
    assert scene.check["payments_matched"]["both"] == scene.check["payments_matched"]["true_txs"]
    assert scene.lines[0].startswith("Donation address") and len(scene.lines) >= 4
    assert scene.trace.conserved and scene.exposure.incoming.direct
