"""The Python API: the documented example runs, objects agree with the SQL
views, and lookups go through the index."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

import chaintrail as ct
from chaintrail.errors import AddressError, NotFoundError, StoreError

from conftest import BUILTIN, ROOT, ingest


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> str:
    p = tmp_path_factory.mktemp("api") / "store"
    ingest(p, BUILTIN)
    return str(p)


def test_documented_example_runs(store_path):
    text = (ROOT / "docs" / "python-api.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 4
    env = {"store_path": store_path}
    for code in blocks:
        exec(compile(code, "docs/python-api.md", "exec"), env)  # noqa: S102 - the docs are ours


def test_public_api_is_small():
    assert sorted(ct.__all__) == ["Chain", "open"]


def test_objects_agree_with_views(store_path):
    chain = ct.open(store_path)
    rng = random.Random(7)
    rows = chain.sql("SELECT txid, height, fee, output_value, n_inputs, n_outputs, vsize FROM txs").fetchall()
    for txid, height, fee, out_value, n_in, n_out, vsize in rng.sample(rows, 100):
        t = chain.tx(txid)
        assert (t.txid, t.height, t.fee, t.output_value, t.n_inputs, t.n_outputs, t.vsize) == \
            (txid, height, fee, out_value, n_in, n_out, vsize)
        d = t.to_dict()
        assert [o["value"] for o in d["outputs"]] == [o.value for o in t.outputs]
    addrs = chain.sql("""SELECT address, sum(value), count(*), count(*) FILTER (WHERE spending_tx_id IS NULL)
                         FROM outputs WHERE address IS NOT NULL GROUP BY 1""").fetchall()
    for address, received, n, unspent in rng.sample(addrs, 100):
        a = chain.address(address)
        assert (a.received, a.n_outputs, a.n_unspent) == (received, n, unspent)
        assert {o.address for o in a.outputs()} == {address}


def test_lookup_errors(store_path, tmp_path):
    chain = ct.open(store_path)
    with pytest.raises(NotFoundError):
        chain.tx("00" * 32)
    with pytest.raises(NotFoundError):
        chain.address("1BoatSLRHtKNngkdXEeobR76b53LETtpyT")
    with pytest.raises(AddressError):
        chain.address("bc1qnotanaddress")
    # a store without its index: objects say so in one line, SQL still works
    from chaintrail.cli.store_cmds import run_ingest

    bare = tmp_path / "bare"
    run_ingest([str(BUILTIN / "blk00000.dat")], str(bare), show_progress=False, index=False)
    c = ct.open(bare)
    assert c.txs.count() > 0
    with pytest.raises(StoreError, match="chaintrail index"):
        c.tx("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b")


def test_reprs_show_what_an_analyst_wants(store_path):
    chain = ct.open(store_path)
    t = chain.tx("f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")
    assert "height 170" in repr(t) and "fee" in repr(t)
    assert "<table>" in t._repr_html_()
    a = chain.address("1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3")
    assert "balance" in repr(a) and "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3" in a._repr_html_()
    assert "600" in repr(chain) or "tip 599" in repr(chain)
    assert Path(chain.path).exists()
