"""Sanctions lists: OFAC sdn.csv, sdn_advanced.xml and plain lists; every
address validated and the invalid ones reported; list versions, "listed
since", and the refusal of an update that would empty a list."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from test_attribution_fixtures import (  # noqa: F401
    OFAC,
    SDN_CSV,
    TRON,
    XBT_TXT,
    needs_sanctions,
    run_cli,
    screened_store,
)

from chaintrail.attribution.sanctions import SanctionsError, parse_sanctions_file
from chaintrail.attribution.sdn_csv import parse_sdn_csv
from chaintrail.attribution.service import import_sanctions, list_sanctions
from chaintrail.chain import open as open_chain
from chaintrail.store.manifest import MANIFEST

GENESIS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
YAN = "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"  # YAN, Xiaobing (SDNTK), on both lists


@needs_sanctions
def test_every_ofac_xbt_address_validates_except_the_tron_one():
    for f in (XBT_TXT, OFAC / "sanctioned_addresses_XBT.json"):
        parsed = parse_sanctions_file(f)
        assert parsed.format == "plain" and parsed.addresses.num_rows == 435
        assert parsed.n_valid == 434
        [bad] = parsed.invalid
        assert bad["address"] == TRON and "Tron" in bad["reason"]


@needs_sanctions
def test_sdn_csv_addresses_match_the_later_xbt_list():
    parsed = parse_sanctions_file(SDN_CSV)
    assert parsed.format == "sdn-csv" and parsed.default_list == "ofac-sdn"
    rows = parsed.addresses.to_pylist()
    valid = {r["address"] for r in rows if r["valid"]}
    invalid = {r["address"]: r for r in rows if not r["valid"]}
    assert sum(r["valid"] for r in rows) == 196 and len(valid) == 195  # one address, two entries
    later = set(XBT_TXT.read_text().split())
    assert valid <= later  # the May list's addresses are all still on September's
    assert invalid[TRON]["entity"] == "WANG, Mingming"
    cut = [r for a, r in invalid.items() if a != TRON]
    assert len(cut) == 6 and all("cut off" in r["reason"] for r in cut)
    assert {r["entity"] for r in cut} >= {"HYDRA MARKET", "BLENDER.IO", "CHATEX"}
    assert parsed.other_assets["ETH"] == 49
    yan = next(r for r in rows if r["address"] == YAN)
    assert (yan["entity"], yan["programs"], yan["entity_type"]) == ("YAN, Xiaobing", "SDNTK", "individual")


@needs_sanctions
def test_sdn_csv_remarks_give_aliases_and_countries():
    entries = {e.ent_num: e for e in parse_sdn_csv(SDN_CSV)}
    yan = entries["25308"]
    assert ("aka", "ZHOU, William") in yan.aliases and "China" in yan.countries
    assert len([a for s, a in yan.addresses if s == "XBT"]) == 6
    assert entries["306"].aliases == [("aka", "BNC")]


SDN_ADVANCED = """<?xml version="1.0" encoding="utf-8"?>
<Sanctions xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML">
  <DateOfIssue><Year>2024</Year><Month>9</Month><Day>27</Day></DateOfIssue>
  <ReferenceValueSets>
    <FeatureTypeValues>
      <FeatureType ID="8" FeatureTypeGroupID="1">Place of Birth</FeatureType>
      <FeatureType ID="344" FeatureTypeGroupID="2">Digital Currency Address - XBT</FeatureType>
      <FeatureType ID="345" FeatureTypeGroupID="2">Digital Currency Address - ETH</FeatureType>
    </FeatureTypeValues>
  </ReferenceValueSets>
  <DistinctParties>
    <DistinctParty FixedRef="25308">
      <Profile ID="25308" PartySubTypeID="4">
        <Identity ID="1" FixedRef="25308" Primary="true">
          <Alias FixedRef="25308" AliasTypeID="1403" Primary="true">
            <DocumentedName ID="1" FixedRef="25308">
              <DocumentedNamePart><NamePartValue>Xiaobing</NamePartValue></DocumentedNamePart>
              <DocumentedNamePart><NamePartValue>YAN</NamePartValue></DocumentedNamePart>
            </DocumentedName>
          </Alias>
        </Identity>
        <Feature ID="1" FeatureTypeID="8"><FeatureVersion ID="1"><VersionDetail>Wuhan</VersionDetail></FeatureVersion></Feature>
        <Feature ID="2" FeatureTypeID="344"><FeatureVersion ID="2">
          <VersionDetail DetailTypeID="1432">12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h</VersionDetail>
        </FeatureVersion></Feature>
        <Feature ID="3" FeatureTypeID="344"><FeatureVersion ID="3">
          <VersionDetail DetailTypeID="1432">TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq</VersionDetail>
        </FeatureVersion></Feature>
        <Feature ID="4" FeatureTypeID="345"><FeatureVersion ID="4">
          <VersionDetail DetailTypeID="1432">0x7F367cC41522cE07553e823bf3be79A889DEbe1B</VersionDetail>
        </FeatureVersion></Feature>
      </Profile>
    </DistinctParty>
    <DistinctParty FixedRef="36">
      <Profile ID="36" PartySubTypeID="3">
        <Feature ID="9" FeatureTypeID="8"><FeatureVersion ID="9"><VersionDetail>Havana</VersionDetail></FeatureVersion></Feature>
      </Profile>
    </DistinctParty>
  </DistinctParties>
  <SanctionsEntries>
    <SanctionsEntry ID="1" ProfileID="25308" ListID="1550">
      <SanctionsMeasure ID="1" SanctionsTypeID="1"><Comment>SDNTK</Comment></SanctionsMeasure>
    </SanctionsEntry>
  </SanctionsEntries>
</Sanctions>
"""


def test_sdn_advanced_xml_feature_type_addresses(tmp_path):
    f = tmp_path / "sdn_advanced.xml"
    f.write_text(SDN_ADVANCED)
    parsed = parse_sanctions_file(f)
    assert parsed.format == "sdn-advanced-xml" and parsed.list_date == dt.date(2024, 9, 27)
    rows = parsed.addresses.to_pylist()
    assert [(r["address"], r["valid"]) for r in rows] == [(YAN, True), (TRON, False)]
    assert rows[0]["entity"] == "Xiaobing YAN" and rows[0]["programs"] == "SDNTK"
    assert parsed.other_assets == {"ETH": 1}


def test_plain_list_of_another_asset_is_not_bitcoin(tmp_path):
    f = tmp_path / "sanctioned_addresses_ETH.txt"
    f.write_text("0x7F367cC41522cE07553e823bf3be79A889DEbe1B\n")
    parsed = parse_sanctions_file(f)
    assert parsed.addresses.num_rows == 0 and parsed.other_assets == {"ETH": 1}


@needs_sanctions
def test_versions_and_listed_since(screened_store):  # noqa: F811
    v1, v2 = screened_store["v1"], screened_store["v2"]
    assert (v1["version"], v1["addresses"], v1["valid"]) == (1, 203, 196)
    assert (v2["version"], v2["list_date"], v2["valid"]) == (2, "2024-09-27", 434)
    assert v2["removed"] == 6  # the six addresses cut off in sdn.csv's remarks
    assert v2["added"] == 435 - (202 - 6)  # 202 distinct addresses in version 1
    vs = list_sanctions(screened_store["path"])
    assert [(v["list"], v["version"], v["list_date"], bool(v.get("current"))) for v in vs] == [
        ("ofac-sdn", 1, "2024-05-03", False), ("ofac-sdn", 2, "2024-09-27", True)]
    assert all(len(v["sha256"]) == 64 and v["source_file"].endswith(("sdn.csv", "XBT.txt")) for v in vs)
    chain = open_chain(screened_store["path"])
    rows = chain.sql("SELECT address, listed_since, entity FROM sanctions WHERE list = 'ofac-sdn'").fetchall()
    since = {a: (s, e) for a, s, e in rows}
    assert since[YAN] == (dt.date(2024, 5, 3), "YAN, Xiaobing")  # entity kept from version 1
    new = set(XBT_TXT.read_text().split()) - {r[0] for r in chain.sql(
        "SELECT address FROM sanctions_all WHERE version = 1").fetchall()}
    assert new and all(since[a][0] == dt.date(2024, 9, 27) for a in new)


@needs_sanctions
def test_update_removing_every_address_is_refused(screened_store, tmp_path):  # noqa: F811
    store = screened_store["path"]
    before = (store / MANIFEST).read_bytes()
    empty = tmp_path / "sanctioned_addresses_XBT.json"
    empty.write_text("[]")
    with pytest.raises(SanctionsError, match="would remove all 435"):
        import_sanctions(store, empty, list_name="ofac-sdn")
    p = run_cli("sanctions", "import", OFAC / "sanctioned_addresses_ETH.txt", "--list", "ofac-sdn",
                "--store", store)
    assert p.returncode != 0 and p.stderr.count("\n") == 1 and "refusing" in p.stderr
    assert (store / MANIFEST).read_bytes() == before
    same = import_sanctions(store, XBT_TXT, list_name="ofac-sdn", list_date=dt.date(2024, 9, 27))
    assert same["unchanged"] and (store / MANIFEST).read_bytes() == before


@needs_sanctions
def test_sanctions_list_cli_json(screened_store):  # noqa: F811
    p = run_cli("sanctions", "list", "--store", screened_store["path"], "--json")
    assert p.returncode == 0
    vs = json.loads(p.stdout)
    assert [v["n_addresses"] for v in vs] == [203, 435] and vs[0]["n_invalid"] == 7
