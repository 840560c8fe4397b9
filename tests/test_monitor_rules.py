"""Monitoring rules: the shipped ruleset, versioned rules with ids and descriptions, and bad
files refused with one line naming the file and the field."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chaintrail.monitor.rules import CATEGORIES, RuleError, load_rules, parse_rules


def test_default_rules_cover_every_kind_and_category():
    rs = load_rules()
    assert rs.name == "chaintrail-default" and rs.version and len(rs.digest) == 16
    kinds = {r.kind for r in rs.rules}
    assert kinds == {"exposure", "coinjoin", "jurisdiction", "structuring"}
    assert {r["category"] for r in rs.of_kind("exposure")} == set(CATEGORIES)
    for r in rs.rules:
        assert r.id and r.version and len(r.description) > 20 and r.severity in ("low", "medium", "high")
    assert rs.max_hops() == 4
    j = rs.of_kind("jurisdiction")[0]
    assert "RU" in j["countries"] and j["window_days"] == 30


GOOD = """
ruleset: mine
version: "3"
rules:
  - id: big-mixer
    version: "2"
    kind: exposure
    category: mixer
    description: mixer exposure
    max_hops: 2
"""


def test_parse_fills_defaults_and_digest_tracks_content():
    a = parse_rules(GOOD, "r.yaml")
    r = a.rules[0]
    assert r["max_hops"] == 2 and r["indirect_min_share"] == 0.05 and r.severity == "medium"
    b = parse_rules(GOOD.replace("max_hops: 2", "max_hops: 3"), "r.yaml")
    assert a.digest != b.digest


@pytest.mark.parametrize("change,needle", [
    ("category: mixer", "field 'category'"),
    ("kind: exposure", "field 'kind'"),
    ("max_hops: 2", "field 'max_hops'"),
    ("description: mixer exposure", "missing field 'description'"),
    ("    max_hops: 2", "unknown field 'colour'"),
])
def test_bad_rules_name_the_field(change, needle):
    bad = {"category: mixer": "category: gambling", "kind: exposure": "kind: vibes",
           "max_hops: 2": "max_hops: 99", "description: mixer exposure": "",
           "    max_hops: 2": "    max_hops: 2\n    colour: red"}[change]
    with pytest.raises(RuleError, match=needle) as exc:
        parse_rules(GOOD.replace(change, bad), "r.yaml")
    assert str(exc.value).startswith("r.yaml: ") and "\n" not in str(exc.value)


def test_duplicate_ids_and_not_yaml():
    with pytest.raises(RuleError, match="duplicate id"):
        parse_rules(GOOD + GOOD.split("rules:")[1], "r.yaml")
    with pytest.raises(RuleError, match="not valid YAML"):
        parse_rules("rules: [", "r.yaml")


def test_cli_checks_a_rules_file(tmp_path):
    ok = tmp_path / "ok.yaml"
    ok.write_text(GOOD)
    r = subprocess.run([sys.executable, "-m", "chaintrail", "monitor", "rules", "--rules", str(ok),
                        "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert '"big-mixer"' in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("category: mixer", "category: gambling"))
    r = subprocess.run([sys.executable, "-m", "chaintrail", "monitor", "rules", "--rules", str(bad)],
                       capture_output=True, text=True)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "category" in lines[0]
