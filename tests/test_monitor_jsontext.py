"""Alert evidence written from parts encoded ahead (``monitor.jsontext``): the text stored
and posted is byte for byte what ``json.dumps(sort_keys=True, separators=(",", ":"),
default=str)`` writes for the plain values, on tricky values and on the real alerts of a
simulated economy (their evidence, hits and paths, and their events' fields)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from chaintrail.monitor.alerts import _row_fields_json, fields_json
from chaintrail.monitor.exposure import evidence, trace_reference
from chaintrail.monitor.jsontext import RawJSON, canonical_json, plain
from chaintrail.monitor.rules import load_rules
from chaintrail.monitor.screen import Screener, load_book
from chaintrail.monitor.watch import CAT_CODES

from support.monitor_env import new_desk


def _dumps(v) -> str:
    return json.dumps(v, sort_keys=True, separators=(",", ":"), default=str)


TRICKY = [
    0, -7, 2**70, 1.0, 0.1, -0.0, 1e22, 1e-7, 123456.789, float("nan"), float("inf"),
    float("-inf"), True, False, None, "", "plain", "Grantor – Börse \"Ω\" \\ \n\t\x00 \u2028",
    "😀", [], {}, [1, [2, [3]]], (1, "a"), {"b": 1, "a": [{"z": None, "y": 1.5}]},
    {2: "int keys", 1: "sorted as numbers"}, {2.5: 1, -1.5: 2},
    {"when": dt.date(2022, 6, 1), "at": dt.datetime(2022, 6, 1, 12, 30)},
]


@pytest.mark.parametrize("value", TRICKY, ids=range(len(TRICKY)))
def test_canonical_json_is_what_json_dumps_writes(value):
    assert canonical_json(value) == _dumps(value)


def test_keys_that_cannot_be_sorted_fail_as_in_json_dumps():
    for bad in ({1: "a", "b": 2}, {"x": {None: 1, True: 2}}):
        with pytest.raises(TypeError):
            _dumps(bad)
        with pytest.raises(TypeError):
            canonical_json(bad)


@pytest.mark.parametrize("value", TRICKY, ids=range(len(TRICKY)))
def test_raw_parts_are_spliced_as_the_values_they_encode(value):
    raw = RawJSON(_dumps(value))
    top = {"z": raw, "a": 1, "m": [raw, {"k": raw}], "hits": RawJSON(_dumps([value, value]))}
    want = _dumps({"z": value, "a": 1, "m": [value, {"k": value}], "hits": [value, value]})
    assert canonical_json(top) == want
    assert canonical_json([raw, {"x": raw}]) == _dumps([value, {"x": value}])
    assert canonical_json(raw) == raw.text


def test_a_raw_part_reads_like_its_value():
    hits = RawJSON('[{"address":"a1","hop":1},{"address":"a2","hop":2}]')
    assert hits and len(hits) == 2 and hits[1]["hop"] == 2
    assert [h["address"] for h in hits] == ["a1", "a2"]
    assert hits == [{"address": "a1", "hop": 1}, {"address": "a2", "hop": 2}]
    assert hits == RawJSON(hits.text) and hits != [] and not RawJSON("[]")
    assert RawJSON('{"id":"r"}').get("id") == "r" and RawJSON('{"id":"r"}')["id"] == "r"
    assert plain({"hits": hits, "n": [RawJSON("1")]}) == {"hits": hits.value(), "n": [1]}


@pytest.fixture(scope="module")
def live(monitor_env, monitor_chain, tmp_path_factory):
    desk, _users, _tokens = new_desk(tmp_path_factory.mktemp("jdesk") / "desk.sqlite",
                                     monitor_env.store, monitor_env.truth)
    sc = Screener(monitor_chain, load_book(desk.engine, monitor_chain), load_rules())
    screened = sc.screen(0, monitor_chain._arrays.counts["txs"])
    yield sc, screened, sc.rows(screened, "live", "ab" * 32, "2025-03-03T09:00:00.000000Z")
    desk.close()


def test_real_alerts_evidence_is_the_plain_encoding_byte_for_byte(monitor_chain, live):
    """Every alert of the simulated economy: its evidence text (hits, paths, listings, rule,
    ruleset, transfer spliced from parts) equals the stdlib's encoding of the plain values."""
    sc, screened, rows = live
    kinds = {f.rule.kind for f in screened.findings}
    assert "exposure" in kinds and len(rows) == len(screened.findings) >= 20
    n_raw = 0
    for r in rows:
        ev = r.evidence
        n_raw += sum(type(v) is RawJSON for v in ev.values())
        assert canonical_json(ev) == _dumps(plain(ev))
        assert plain(ev)["rule"] == json.loads(_dumps(
            next(f.rule for f in screened.findings if f.rule.id == r.rule_id).to_dict()))
        assert plain(ev)["transfer"]["txid"] == r.txid
    assert n_raw >= 3 * len(rows)


def test_real_alerts_hits_are_the_plain_evidence(monitor_chain, live):
    """The hits written as text are the plain per-transfer ``evidence`` (one engine trace
    each), with the addresses' list entries added."""
    sc, screened, _rows = live
    tr = screened.transfers
    exp = [f for f in screened.findings if f.rule.kind == "exposure"]
    assert exp
    rows = np.unique([f.row for f in exp])
    ref = trace_reference(monitor_chain, sc.watch, tr, sc.ruleset.max_hops(), rows=rows)
    n = 0
    for f in exp:
        want = evidence(monitor_chain, sc.watch, tr, ref, f.row, CAT_CODES[f.category], limit=5)
        got = plain(f.evidence["hits"])
        assert [{k: v for k, v in h.items() if k != "listings"} for h in got] == \
            [{k: v for k, v in h.items() if k != "address_id"} for h in want]
        assert all(isinstance(h["listings"], list) for h in got)
        n += len(got)
    assert n >= len(exp)


def test_new_alert_fields_are_written_as_the_generic_fields(live):
    """An event's fields written from the AlertRow equal ``fields_json`` of the alert's row
    (the form decisions and reorgs use) and the stdlib's encoding."""
    _sc, _screened, rows = live
    for i, r in enumerate(rows):
        row = {**vars(r), "status": "open", "amount": int(r.amount)}
        got = _row_fields_json(1000 + i, r, "open", f"MON-{i}", f"CUST-{i}", "alert.created")
        assert got == fields_json(1000 + i, row, f"MON-{i}", f"CUST-{i}", "alert.created")
        doc = json.loads(got)
        assert got == _dumps(doc) and doc["alert_id"] == 1000 + i and doc["key"] == r.key
