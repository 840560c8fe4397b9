"""The screening snapshot behind the instant `chaintrail screen`: it answers
clean addresses exactly as the full screening does, hands every hit,
invalid or unsure address to the full command, and is never used stale."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from test_attribution_fixtures import run_cli, screened_store  # noqa: F401

from chaintrail.attribution.screen_snapshot import FILE, Snapshot, open_current, read_manifest
from chaintrail.attribution.screening import Screener
from chaintrail.attribution.service import import_tags
from chaintrail.chain import open as open_chain
from chaintrail.cli import launch
from chaintrail.store.string_hash import string_hash_reference
from chaintrail.store.string_hash_kernels import hash_string_array

GENESIS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"  # on chain, neither listed nor tagged
NEVER_SEEN = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"  # valid, not in blocks 0-599
UPPER = "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"  # valid bech32 in capitals
YAN = "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"  # on OFAC's list
ARCHIVE = "1Archive1n2C579dMsAu3iC6tWzuQJz8dN"  # tagged


@settings(deadline=None)
@given(st.lists(st.text(st.characters(exclude_categories=("Cs",)), max_size=80), max_size=30))
def test_plain_hash_equals_the_kernel(strings):
    a, b = hash_string_array(pa.array(strings, pa.string()))
    assert [(int(x), int(y)) for x, y in zip(a, b)] == [string_hash_reference(s) for s in strings]


def _fast(store, *addresses, json_out=True):
    opts = launch._parse_screen(["screen", *addresses, "--store", str(store)]
                                + (["--json"] if json_out else []))
    return launch._fast_screen(opts)


def test_clean_addresses_answer_like_the_full_screening(screened_store, capsys):  # noqa: F811
    store = screened_store["path"]
    clean = [GENESIS, NEVER_SEEN, UPPER]
    assert _fast(store, *clean) == 0  # settled without the full command
    fast = json.loads(capsys.readouterr().out)
    full = [r.to_dict() for r in Screener(open_chain(store)).screen(clean)]
    assert fast == {"exit_status": 0, "results": full}
    p = run_cli("screen", *clean, "--store", store)
    assert p.returncode == 0 and p.stdout.split() == ["clean", GENESIS, "clean", NEVER_SEEN,
                                                       "clean", UPPER]


def _full_cli(*args) -> subprocess.CompletedProcess:
    """The full command, bypassing the instant screen."""
    return subprocess.run([sys.executable, "-m", "chaintrail.cli.main", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_direct_hits_answer_like_the_full_screening(screened_store, capsys):  # noqa: F811
    store = screened_store["path"]
    addresses = [GENESIS, YAN, ARCHIVE]
    for fail_on, rc in (("any", 1), ("sanctions", 1)):
        opts = launch._parse_screen(["screen", *addresses, "--store", str(store), "--json", "--fail-on", fail_on])
        assert launch._fast_screen(opts) == rc  # settled from the snapshot's details
        fast = json.loads(capsys.readouterr().out)
        full = [r.to_dict() for r in Screener(open_chain(store)).screen(addresses)]
        assert fast == {"exit_status": rc, "results": full}
    assert [r["hits"] for r in fast["results"]] == [[], ["sanctioned", "tagged"], ["tagged"]]
    assert fast["results"][1]["sanctions"][0]["entity"] == "YAN, Xiaobing"
    assert _fast(store, ARCHIVE, json_out=False) == 1
    text = capsys.readouterr().out
    assert text == _full_cli("screen", ARCHIVE, "--store", store).stdout and "HIT" in text
    assert run_cli("screen", ARCHIVE, "--store", store, "--fail-on", "sanctions").returncode == 0


def test_invalid_addresses_go_to_the_full_command(screened_store):  # noqa: F811
    store = screened_store["path"]
    snap = open_current(store, read_manifest(store))
    assert snap is not None and len(snap) > 400_000  # every tagged and listed address
    assert _fast(store, GENESIS, YAN, GENESIS[:-1] + "b") is None
    p = run_cli("screen", GENESIS, YAN, "--store", store)
    assert p.returncode == 1 and "HIT" in p.stdout and "listed" in p.stdout
    p = run_cli("screen", GENESIS[:-1] + "b", "--store", store)
    assert p.returncode == 2


def test_an_import_rebuilds_the_snapshot_and_a_stale_one_is_ignored(screened_store, tmp_path, capsys):  # noqa: F811
    store = tmp_path / "store"
    shutil.copytree(screened_store["path"], store)
    old = (store / FILE).read_bytes()
    tags = tmp_path / "new.csv"
    tags.write_text("address,label,category\n" + GENESIS + ",the first address,miner\n")
    import_tags(store, [tags])
    assert _fast(store, GENESIS) == 1  # rebuilt: the genesis address is now tagged
    assert json.loads(capsys.readouterr().out)["results"][0]["tags"][0]["label"] == "the first address"
    (store / FILE).write_bytes(old)  # a snapshot from before the import
    assert Snapshot(store / FILE).stamp != "" and open_current(store, read_manifest(store)) is None
    assert _fast(store, GENESIS) is None
    p = run_cli("screen", GENESIS, "--store", store)
    assert p.returncode == 1 and "the first address" in p.stdout
    (store / FILE).unlink()  # no snapshot at all: the full command still answers
    p = run_cli("screen", NEVER_SEEN, "--store", store, "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["results"][0]["status"] == "clean"


def test_the_fast_path_imports_no_heavy_library(screened_store):  # noqa: F811
    import subprocess

    code = ("import sys; from chaintrail.cli import launch; "
            f"sys.argv = ['chaintrail', 'screen', {GENESIS!r}, '--store', {str(screened_store['path'])!r}]\n"
            "try:\n    launch.main()\nexcept SystemExit as e:\n"
            "    heavy = [m for m in ('numpy', 'numba', 'duckdb', 'pyarrow', 'pandas', 'typer') if m in sys.modules]\n"
            "    print(e.code, heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.splitlines()[-1] == "0 []"


def test_a_cluster_build_refreshes_the_snapshot(screened_store, tmp_path, capsys):  # noqa: F811
    from chaintrail.cluster.build import build_clusters

    store = tmp_path / "store"
    shutil.copytree(screened_store["path"], store)
    build_clusters(str(store))
    manifest = read_manifest(store)
    assert manifest["extra"].get("clusters") and open_current(store, manifest) is not None
    # still settled instantly, now with the cluster ids the full screening gives
    assert _fast(store, NEVER_SEEN, GENESIS) == 0
    fast = json.loads(capsys.readouterr().out)
    full = [r.to_dict() for r in Screener(open_chain(store)).screen([NEVER_SEEN, GENESIS])]
    assert fast == {"exit_status": 0, "results": full} and full[1]["cluster_id"] is not None
    # an address in the same cluster as a listed one is of interest now
    chain = open_chain(store)
    mates = chain.sql("""SELECT m.address FROM addresses m JOIN addresses s USING (cluster_id)
                         WHERE s.address IN (SELECT address FROM sanctions) AND m.address <> s.address
                         LIMIT 1""").fetchall()
    for (mate,) in mates:
        assert _fast(store, mate) is None


def test_cluster_hits_go_to_the_full_command(screened_store, tmp_path, capsys):  # noqa: F811
    """A tagged address alone in its cluster is settled instantly; a cluster hit (which carries the
    merge evidence) is not, and the full command reports it."""
    from chaintrail.cluster.build import build_clusters

    store = tmp_path / "store"
    shutil.copytree(screened_store["path"], store)
    build_clusters(str(store))
    chain = open_chain(store)
    (cid,) = chain.sql("SELECT cluster_id FROM clusters WHERE n_addresses >= 3 ORDER BY cluster_id LIMIT 1").fetchall()[0]
    a, b, c = (x for (x,) in chain.sql("SELECT address FROM addresses WHERE cluster_id = ? ORDER BY address_id "
                                       "LIMIT 3", params=[cid]).fetchall())
    tags = tmp_path / "t.csv"
    tags.write_text(f"address,label,category\n{a},a shop,market\n")
    import_tags(store, [tags])
    assert _fast(store, a) == 1
    fast = json.loads(capsys.readouterr().out)
    full = [r.to_dict() for r in Screener(open_chain(store)).screen([a])]
    assert fast == {"exit_status": 1, "results": full} and full[0]["cluster_id"] == cid
    assert not full[0]["cluster_tags"]
    assert _fast(store, b) is None  # its cluster holds a tagged address
    p = run_cli("screen", b, "--store", store, "--json")
    r = json.loads(p.stdout)["results"][0]
    assert p.returncode == 1 and r["hits"] == ["cluster_tagged"] and r["cluster_tags"][0]["label"] == "a shop"
    tags.write_text(f"address,label,category\n{a},a shop,market\n{c},a shop,market\n")
    import_tags(store, [tags])
    assert _fast(store, a) is None  # now another address of its cluster is tagged too
    r = json.loads(run_cli("screen", a, "--store", store, "--json").stdout)["results"][0]
    assert r["hits"] == ["tagged", "cluster_tagged"]
