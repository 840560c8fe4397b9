"""Shared test fixtures: where the real data of ../shared is, and stores built from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"
BLOCKS = DATA / "blocks"
BUILTIN = ROOT / "src" / "chaintrail" / "data" / "mainnet-0-599"

needs_shared = pytest.mark.skipif(
    not BLOCKS.exists(), reason=f"real-data fixtures not available ({SHARED} is absent)")


@pytest.fixture(scope="session")
def expected() -> list[dict]:
    """EXPECTED.json: independently computed facts about every real block in ../shared."""
    if not BLOCKS.exists():
        pytest.skip(f"real-data fixtures not available ({SHARED} is absent)")
    return json.loads((BLOCKS / "EXPECTED.json").read_text())


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture(autouse=True)
def _no_env_store(monkeypatch):
    monkeypatch.delenv("CHAINTRAIL_STORE", raising=False)
    yield


def ingest(store: Path, *sources, network: str | None = None) -> dict:
    """Run an ingest in-process, as the CLI does, and return its report."""
    from chaintrail.cli.store_cmds import run_ingest

    return run_ingest([str(s) for s in sources], str(store), network, show_progress=False)


@pytest.fixture(scope="session")
def chain_0_599(tmp_path_factory):
    """A store holding mainnet blocks 0-599 (the package's built-in data)."""
    from chaintrail.chain import open as open_chain

    store = tmp_path_factory.mktemp("s0599") / "store"
    ingest(store, BUILTIN)
    return open_chain(store)




@pytest.fixture(scope="session")
def eco(tmp_path_factory) -> dict:
    """The tracing tests' simulated donation economy, clustered and tagged (built once)."""
    from test_trace_fixtures import economy

    return economy(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def eco_chain(eco):
    """A read-only handle on the economy's store."""
    import chaintrail as ct

    return ct.open(eco["store"])


@pytest.fixture(scope="session")
def eco_truth(eco) -> dict:
    """The economy's true donation sources, from the simulator's truth."""
    from chaintrail.trace.truthcheck import true_donation_sources

    return true_donation_sources(eco["truth"])


@pytest.fixture(scope="session")
def eco_api(eco):
    """An httpx client on the REST API over the economy's store (ASGI, no server)."""
    from test_api_fixtures import Api

    from chaintrail.api import create_app

    client = Api(create_app(eco["store"]))
    yield client
    client.close()


@pytest.fixture(scope="session")
def monitor_env(tmp_path_factory):
    """The monitoring tests' simulated economy, store and tags (``support.monitor_env``)."""
    from support.monitor_env import build

    return build(tmp_path_factory)


@pytest.fixture(scope="session")
def monitor_chain(monitor_env):
    """A read-only handle on the monitoring tests' store."""
    from chaintrail.chain import open as open_chain

    chain = open_chain(monitor_env.store)
    yield chain
    chain.close()
