"""Customer name screening against the SDN names and aliases: Cyrillic and
Latin, typos, reordered parts; precision and recall on a labelled set built
from the SDN names themselves."""

from __future__ import annotations

import json

import pytest
from test_attribution_fixtures import SDN_CSV, needs_sanctions, run_cli

from chaintrail.attribution.name_eval import evaluate, labelled_set, to_cyrillic
from chaintrail.attribution.name_screening import DEFAULT_THRESHOLD, NameIndex
from chaintrail.attribution.names import name_tokens
from chaintrail.attribution.sdn_csv import parse_sdn_csv


@pytest.fixture(scope="module")
def sdn():
    if not SDN_CSV.exists():
        pytest.skip(f"sdn.csv not available ({SDN_CSV} is absent)")
    entries = parse_sdn_csv(SDN_CSV)
    return entries, NameIndex(entries)


def test_transliteration_folds_spellings_together():
    assert name_tokens("Хрущёв") == name_tokens("Khrushchev") == name_tokens("Hruschev")
    assert name_tokens("Юрий Цой") == name_tokens("Yuriy Tsoy")
    assert name_tokens("Naval'nyy") == name_tokens("Навальный") == name_tokens("Navalny")
    assert name_tokens("Dr. José MÜLLER") == name_tokens("jose muller") == ["iose", "muler"]
    assert to_cyrillic("Aleksandr Shcherbakov") == "Александр Щербаков"


@needs_sanctions
def test_cyrillic_and_reordered_names_find_their_entry(sdn):
    _, index = sdn
    for query, ent in (("Путин Владимир", "35096"), ("Ali KHORASHADIZADEH", "26137"),
                       ("Хорашадизаде Али", "26137"), ("Xiaobing Yan", "25308"),
                       ("William Zhou", "25308")):  # the last one is an a.k.a.
        matches = index.search(query)
        assert matches and matches[0].ent_num == ent, (query, matches[:2])
    assert index.search("William Zhou")[0].is_alias


@needs_sanctions
def test_country_boosts_entries_of_that_country(sdn):
    _, index = sdn
    plain = index.search("Vladimir Putin")[0]
    boosted = index.search("Vladimir Putin", country="RU")[0]
    assert boosted.country_match is True and boosted.score >= plain.score
    assert index.search("Vladimir Putin", country="FR")[0].country_match is False


@needs_sanctions
def test_precision_and_recall_on_the_labelled_set(sdn):
    entries, index = sdn
    cases = labelled_set(entries, n_per_kind=500)
    assert sum(c.ent_num is None for c in cases) == 1500
    scores = evaluate(index, cases, DEFAULT_THRESHOLD)
    assert scores.recall >= 0.95 and scores.precision >= 0.95, scores.to_dict()
    assert scores.recall_by_kind["reordered"] >= 0.99
    assert scores.recall_by_kind["cyrillic"] >= 0.95 and scores.recall_by_kind["typo"] >= 0.93


@needs_sanctions
def test_screen_name_cli(tmp_path):
    p = run_cli("screen-name", "Путин Владимир", "--country", "RU", "--sdn", SDN_CSV, "--json")
    assert p.returncode == 1
    [res] = json.loads(p.stdout)
    assert res["matches"][0]["name"] == "PUTIN, Vladimir Vladimirovich"
    assert res["matches"][0]["country_match"] is True
    none = run_cli("screen-name", "Hannah Okafor", "--sdn", SDN_CSV)
    assert none.returncode == 0 and "no match" in none.stdout
    nostore = run_cli("screen-name", "Anyone", "--store", tmp_path / "none")
    assert nostore.returncode != 0 and nostore.stderr.startswith("chaintrail: error:")
