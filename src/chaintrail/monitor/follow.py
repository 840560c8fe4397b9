"""The long-running monitor: poll a node (Bitcoin Core RPC or Esplora) for
new blocks, ingest them into the store (incremental ingest handles reorgs:
the abandoned blocks are rolled back), update the analysis arrays, mark the
alerts of abandoned blocks, screen every new block of the best chain and
store its alerts, then post pending alert events to the webhook.

Restarts and crashes: the store changes only by atomic commits, and a
block's alerts are stored in one transaction with the record that the
block was screened. On start the monitor screens every best-chain block
above its start height that has no record yet, whatever happened before
(a kill after the ingest commit, during screening, or during the alerts'
transaction), and alert keys are unique, so nothing is lost or stored
twice."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy.engine import Engine

from chaintrail.chain import Chain
from chaintrail.chain import open as open_chain
from chaintrail.monitor import alerts as alerts_mod
from chaintrail.monitor.rules import RuleSet
from chaintrail.monitor.screen import BookLoader, Screener

log = logging.getLogger(__name__)

START_KEY = "monitor.start_height"


@dataclass
class StepReport:
    """One poll: what was ingested, abandoned, screened and delivered."""

    tip_height: int | None = None
    blocks_applied: int = 0
    blocks_rolled_back: int = 0
    blocks_screened: int = 0
    alerts_abandoned: int = 0
    transfers: int = 0
    alerts: list[int] = field(default_factory=list)
    delivered: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"tip_height": self.tip_height, "blocks_applied": self.blocks_applied,
                "blocks_rolled_back": self.blocks_rolled_back,
                "blocks_screened": self.blocks_screened, "alerts_abandoned": self.alerts_abandoned,
                "transfers": self.transfers, "alerts": len(self.alerts),
                "delivered": self.delivered,
                "seconds": {k: round(v, 4) for k, v in self.seconds.items()}}


def ingest_from(store_path: Path, url: str, cookie: str | None = None) -> dict:
    """Fetch the node's new blocks into the store and update the analysis arrays."""
    from chaintrail.ingest.pipeline import Ingester, ingest_remote
    from chaintrail.sources.remote import open_remote
    from chaintrail.store.index_build import update_index
    from chaintrail.store.store import Store

    store = Store.open_writer(store_path)
    ing = None
    try:
        ing = Ingester(store)
        source = open_remote(url, cookie=cookie)
        try:
            ingest_remote(ing, source)
        finally:
            source.close()
        ing.commit()
        update_index(store)
    except BaseException:
        if ing is not None:
            ing.abort()
        raise
    finally:
        store.close()
    r = ing.report
    return {"applied": r.blocks_applied, "rolled_back": r.blocks_rolled_back, "tip": r.tip_height}


def main_chain(chain: Chain) -> list[tuple[int, str, int, int]]:
    """(height, hash, first tx id, number of txs) of the best chain's blocks, in order."""
    rows = chain.sql("SELECT height, hash, first_tx_id, n_tx FROM blocks WHERE height IS NOT NULL "
                     "ORDER BY chain_seq").fetchall()
    out, last = [], -1
    for h, bh, ft, n in rows:
        if h != last + 1:  # loose blocks after the genesis-rooted chain
            break
        out.append((int(h), bh, int(ft), int(n)))
        last = h
    return out


class Monitor:
    """Follows a node, screens each new block, stores alerts, delivers them."""

    def __init__(self, store: str | Path, engine: Engine, ruleset: RuleSet,
                 source: str | None = None, cookie: str | None = None,
                 webhook: str | None = None, webhook_secret: str | None = None,
                 from_height: int | None = None, budget: int | None = None,
                 retry_backoff: float | None = None,
                 after_ingest: Callable[[], None] | None = None):
        self.store = Path(store)
        self.engine = engine
        self.ruleset = ruleset
        self.source = source
        self.cookie = cookie
        self.webhook = webhook
        self.webhook_secret = webhook_secret
        self.from_height = from_height
        self.budget = budget
        self.retry_backoff = retry_backoff
        self.after_ingest = after_ingest  # a hook for tests (e.g. a kill between the steps)
        self.screener: Screener | None = None
        self.books = BookLoader(engine)

    def _start_height(self, chain: Chain) -> int:
        from sqlalchemy import insert, select

        from chaintrail.desk.schema import settings
        from chaintrail.monitor.rescreen import initialise

        with self.engine.begin() as conn:
            v = conn.execute(select(settings.c.value).where(settings.c.key == START_KEY)).scalar()
            if v is None:
                if self.from_height is not None:
                    v = int(self.from_height)
                else:  # first start: watch what arrives from now on
                    tip = chain.tip[0]
                    v = 0 if tip is None else int(tip) + 1
                conn.execute(insert(settings).values(key=START_KEY, value=str(v)))
        initialise(self.engine, chain)  # what is listed at the first start is known from then on
        return int(v)

    def step(self) -> StepReport:
        """One round: ingest (when following a node), reorgs, screening, delivery."""
        rep = StepReport()
        t = time.perf_counter()
        if self.source:
            got = ingest_from(self.store, self.source, self.cookie)
            rep.blocks_applied, rep.blocks_rolled_back = got["applied"], got["rolled_back"]
        rep.seconds["ingest"] = time.perf_counter() - t
        if self.after_ingest:
            self.after_ingest()
        chain = open_chain(self.store)
        try:
            self._screen_new(chain, rep)
        finally:
            chain.close()
        if self.webhook:
            from chaintrail.monitor.delivery import deliver_pending

            t = time.perf_counter()
            kw = {"backoff": self.retry_backoff} if self.retry_backoff is not None else {}
            rep.delivered = deliver_pending(self.engine, self.webhook, self.webhook_secret,
                                            **kw).delivered
            rep.seconds["deliver"] = time.perf_counter() - t
        return rep

    def _screen_new(self, chain: Chain, rep: StepReport) -> None:
        t = time.perf_counter()
        blocks = main_chain(chain)
        rep.tip_height = blocks[-1][0] if blocks else None
        on_chain = {h for _, h, _, _ in blocks}
        gone = [h for h in alerts_mod.screened_blocks(self.engine) if h not in on_chain]
        rep.alerts_abandoned = alerts_mod.abandon_blocks(self.engine, gone)
        start = self._start_height(chain)
        done = set(alerts_mod.screened_blocks(self.engine))
        todo = [b for b in blocks if b[0] >= start and b[1] not in done]
        rep.seconds["plan"] = time.perf_counter() - t
        if not todo:
            return
        t = time.perf_counter()
        if self.screener is None:
            self.screener = Screener(chain, self.books.book(chain), self.ruleset,
                                     budget=self.budget)
        else:
            self.screener.use_chain(chain)
            self.screener.book = self.books.book(chain)
        rep.seconds["load"] = time.perf_counter() - t
        t = time.perf_counter()
        for height, bh, first_tx, n_tx in todo:
            if alerts_mod.block_done(self.engine, bh):
                continue  # abandoned before and back on the best chain: screened already
            sc = self.screener.screen(first_tx, first_tx + n_tx)
            rows = self.screener.rows(sc, "live", bh)
            ids = alerts_mod.record_block(self.engine, bh, height, len(sc.transfers), rows)
            rep.blocks_screened += 1
            rep.transfers += len(sc.transfers)
            rep.alerts += ids or []
            log.info("block %d %s: %d transfers, %d alerts", height, bh, len(sc.transfers),
                     len(ids or []))
        rep.seconds["screen"] = time.perf_counter() - t

    def run(self, poll: float = 30.0, max_steps: int | None = None,
            on_step: Callable[[StepReport], None] | None = None) -> None:
        """Poll forever (or max_steps times), sleeping `poll` seconds between rounds."""
        n = 0
        while max_steps is None or n < max_steps:
            rep = self.step()
            if on_step:
                on_step(rep)
            n += 1
            if max_steps is not None and n >= max_steps:
                break
            time.sleep(poll)
