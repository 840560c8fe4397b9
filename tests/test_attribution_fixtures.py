"""Stores and paths shared by the attribution tests (imported by them; holds no tests)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from conftest import BLOCKS, BUILTIN, DATA, ingest

TAGPACKS = DATA / "tags" / "graphsense-tagpacks"
POOLS = DATA / "tags" / "mining-pools"
OFAC = DATA / "sanctions" / "ofac-0xB10C"
SDN_CSV = DATA / "sanctions" / "ofac-sdn-csv" / "sdn.csv"
XBT_TXT = OFAC / "sanctioned_addresses_XBT.txt"
TRON = "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq"

needs_tags = pytest.mark.skipif(not TAGPACKS.exists(),
                                reason=f"GraphSense TagPacks not available ({TAGPACKS} is absent)")
needs_sanctions = pytest.mark.skipif(not SDN_CSV.exists() or not XBT_TXT.exists(),
                                     reason=f"OFAC lists not available ({OFAC.parent} is absent)")


def run_cli(*args) -> subprocess.CompletedProcess:
    """The chaintrail command as a user runs it."""
    return subprocess.run([sys.executable, "-m", "chaintrail", *map(str, args)],
                          capture_output=True, text=True)


@pytest.fixture(scope="session")
def screened_store(tmp_path_factory):
    """Blocks 0-599, every TagPack, the pools, sdn.csv (2024-05-03) and the XBT list (2024-09-27)."""
    if not TAGPACKS.exists() or not SDN_CSV.exists():
        pytest.skip(f"real attribution data not available ({DATA} is absent)")
    from chaintrail.attribution.service import import_sanctions, import_tags

    store = tmp_path_factory.mktemp("attr") / "store"
    ingest(store, BUILTIN)
    report = import_tags(store, [TAGPACKS / "packs", TAGPACKS / "actors", POOLS / "pools.json"])
    v1 = import_sanctions(store, SDN_CSV, list_date=dt.date(2024, 5, 3))
    v2 = import_sanctions(store, XBT_TXT, list_name="ofac-sdn", list_date=dt.date(2024, 9, 27))
    return {"path": store, "tags": report, "v1": v1, "v2": v2}


@pytest.fixture(scope="session")
def loose_store(tmp_path_factory):
    """The real single blocks of 2011-2018 (loose, their coinbases carry pool tags), with all tags and pools."""
    if not TAGPACKS.exists() or not (BLOCKS / "mainnet").exists():
        pytest.skip(f"real blocks or tags not available ({DATA} is absent)")
    from chaintrail.attribution.service import import_tags

    store = tmp_path_factory.mktemp("loose") / "store"
    ingest(store, BLOCKS / "mainnet")
    report = import_tags(store, [TAGPACKS / "packs", POOLS / "pools.json"])
    return {"path": store, "tags": report}
