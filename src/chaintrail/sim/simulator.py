"""The simulation driver: sets up the economy, then for each block schedules
intents, runs the numba engine, serializes and hashes the block, appends it
to the blk files and streams the ground truth.

``simulate()`` is the Python API used by the CLI, the demo, the benchmark
and the tests.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from chaintrail.bitcoin.hashing import sha256d
from chaintrail.bitcoin.networks import REGTEST, target_from_bits
from chaintrail.sim import codes as K
from chaintrail.sim import state_kernels as S
from chaintrail.sim.actors import WHIRLPOOL_POOLS, build_population, standard_denominations
from chaintrail.sim.block_kernels import fill_txids, finish_block, serialize_block
from chaintrail.sim.blockfiles import MAX_BLOCKFILE_SIZE, BlockFileWriter
from chaintrail.sim.ctx_kernels import make_ctx, set_utxo_arrays
from chaintrail.sim.engine_kernels import run_block
from chaintrail.sim.profiles import Profile, SimulationError, get_profile
from chaintrail.sim.state_kernels import era_shares
from chaintrail.sim.stats import SimStats
from chaintrail.sim.truth import TruthWriter

COIN = 100_000_000
REGTEST_HALVING = 150
BLOCK_VERSION = 0x20000000
BITS = REGTEST.pow_limit_bits  # 0x207fffff
MANIFEST = "sim.json"
FORMAT_VERSION = 1
PAYLOAD_CACHE = 1 << 20

#: the regtest genesis block: mainnet's genesis coinbase under regtest's header fields
_GENESIS_COINBASE = bytes.fromhex(
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff"
    "001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e"
    "6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104"
    "678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51e"
    "c112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000"
)
GENESIS_TIME = 1296688602
GENESIS_NONCE = 2


def genesis_block() -> bytes:
    txid = sha256d(_GENESIS_COINBASE)
    header = (
        (1).to_bytes(4, "little") + b"\x00" * 32 + txid + GENESIS_TIME.to_bytes(4, "little")
        + BITS.to_bytes(4, "little") + GENESIS_NONCE.to_bytes(4, "little")
    )
    return header + b"\x01" + _GENESIS_COINBASE


def subsidy(h: int) -> int:
    halvings = h // REGTEST_HALVING
    return 0 if halvings >= 64 else (50 * COIN) >> halvings


@dataclass
class SimResult:
    """What a simulation wrote and how it went."""

    out_dir: Path
    blocks_dir: Path
    truth_dir: Path
    block_files: list[Path]
    n_blocks: int           # genesis included
    n_txs: int              # transactions in blocks 1.. (coinbases included; genesis excluded)
    n_addresses: int
    tip_height: int
    tip_hash: str
    elapsed: float
    txs_per_second: float
    bytes_written: int
    truth_rows: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    profile: str = "default"
    seed: int = 0


def _intent_weights(p: Profile) -> np.ndarray:
    w = np.zeros(K.N_INTENTS)
    w[K.I_PAYMENT] = p.w_payment
    w[K.I_MERCHANT] = p.w_merchant
    w[K.I_DEPOSIT] = p.w_deposit
    w[K.I_WITHDRAWAL] = p.w_withdrawal
    w[K.I_SWEEP] = p.w_sweep
    w[K.I_COLD] = p.w_cold
    w[K.I_CONSOLIDATION] = p.w_consolidation
    w[K.I_DONATION] = p.w_donation
    w[K.I_DONATION_CJ] = p.w_donation_cj
    w[K.I_POOL_PAYOUT] = p.w_pool_payout
    w[K.I_SETTLEMENT] = p.w_settlement
    w[K.I_DATA] = p.w_data
    w[K.I_PAYJOIN] = p.w_payjoin
    w[K.I_RANSOM] = p.w_ransom
    w[K.I_PEEL] = p.w_peel
    w[K.I_MARKET] = p.w_market
    w[K.I_WHIRLPOOL] = p.w_whirlpool
    w[K.I_TX0] = p.w_tx0
    w[K.I_JOINMARKET] = p.w_joinmarket
    if w.sum() <= 0:
        raise SimulationError("every behaviour weight is zero")
    return w / w.sum()


def _prepare_out(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    blocks = out_dir / "blocks"
    truth = out_dir / "truth"
    if (blocks.exists() and any(blocks.iterdir())) or (truth.exists() and any(truth.iterdir())):
        if not (out_dir / MANIFEST).exists():
            raise SimulationError(
                f"{out_dir}: holds blocks or truth not written by the simulator; choose another --out")
        shutil.rmtree(blocks, ignore_errors=True)
        shutil.rmtree(truth, ignore_errors=True)
        (out_dir / MANIFEST).unlink()


class _Tables:
    """One set of block tables and serialization buffers (two sets alternate:
    the engine fills one while the worker thread serializes the other)."""

    def __init__(self, maxtx: int, maxin: int, maxout: int):
        n = maxtx + 1
        self.T = np.zeros((n, K.T_NCOL), np.int64)
        self.I = np.zeros((maxin, K.I_NCOL), np.int64)
        self.O = np.zeros((maxout, K.O_NCOL), np.int64)
        self.A = np.zeros((maxout, K.A_NCOL), np.int64)
        self.P = np.zeros((maxin + n + 8, K.P_NCOL), np.int64)
        self.D = np.zeros((maxout, K.D_NCOL), np.int64)
        self.CA = np.zeros((maxout, K.CA_NCOL), np.int64)
        self.buf = np.zeros(8 + 4_200_000, np.uint8)
        self.tx_off = np.zeros(n, np.int64)
        self.tx_len = np.zeros(n, np.int64)
        self.body_off = np.zeros(n, np.int64)
        self.body_len = np.zeros(n, np.int64)
        self.lock_off = np.zeros(n, np.int64)
        self.commit_pos = np.zeros(1, np.int64)
        self.txids = np.zeros((n, 32), np.uint8)
        self.wtxids = np.zeros((n, 32), np.uint8)
        self.work = np.zeros(32 * (n + 2), np.uint8)
        self.block_hash = np.zeros(32, np.uint8)
        self.apay = np.zeros((maxout, 40), np.uint8)
        self.aplen = np.zeros(maxout, np.uint8)
        self.ctx = None


class _Engine:
    """The engine's state arrays, two sets of block tables and their ctx handles."""

    def __init__(self, pop, key: int, rng_seed: int, prof: Profile, maxtx: int):
        self.maxtx = maxtx
        self.maxin = 20_000
        self.maxout = 40_000
        cap = 1 << 16
        self.U = np.zeros((cap, K.U_NCOL), np.int64)
        self.Utxid = np.zeros((cap, 32), np.uint8)
        self.FREE = np.zeros(cap, np.int64)
        self.C = np.zeros(K.C_NCOL, np.int64)
        self.RNG = np.array([rng_seed], np.uint64)
        self.SCR = np.zeros((4096, 8), np.int64)
        self.REQ = np.zeros(64, np.int64)
        self.PF = np.zeros(S.PF_N, np.float64)
        self.PI = np.zeros(S.PI_N, np.int64)
        self.PI[S.PI_KEY] = key
        self.PI[S.PI_MAXIN] = self.maxin
        self.PI[S.PI_MAXOUT] = self.maxout
        self.PI[S.PI_MAXA] = self.maxout
        self.PI[S.PI_MAXP] = self.maxin + maxtx + 9
        self.PI[S.PI_MAXD] = self.maxout
        self.PI[S.PI_MAXCA] = self.maxout
        self.PI[S.PI_SOFTN:S.PI_SOFTN + len(pop.softn)] = pop.softn
        self.PI[S.PI_NBOOT_PAY] = max(1, prof.bootstrap_payouts)
        self.PF[S.PF_PAY_MEDIAN] = prof.payment_median
        self.PF[S.PF_PAY_SIGMA] = prof.payment_sigma
        self.PF[S.PF_ROUND] = prof.round_share
        self.PF[S.PF_BATCH_MEAN] = prof.batch_mean
        self.PF[S.PF_WD_DONATION] = prof.withdrawal_donation_share
        self.PF[S.PF_DONATION_MEDIAN] = prof.donation_median
        self.PF[S.PF_HOT_CAP] = prof.hot_cap_btc * COIN
        self.PF[S.PF_OPRET_LONG] = prof.op_return_long_share
        self.PF[S.PF_BARE_MS] = prof.bare_multisig_share
        self.PF[S.PF_NESTED_MID] = prof.segwit_nested_mid
        self.PF[S.PF_NATIVE_MID] = prof.segwit_native_mid
        self.PF[S.PF_TR_MID] = prof.taproot_mid
        self.PF[S.PF_MAXW] = min(prof.max_block_weight, 4_000_000)
        self.PF[S.PF_FEE_VOL] = prof.fee_volatility
        self.pop = pop
        self.DEN = standard_denominations()
        self.POOLS = WHIRLPOOL_POOLS.copy()
        self.target = np.frombuffer(target_from_bits(BITS).to_bytes(32, "little"), np.uint8).copy()
        self.sets = [_Tables(maxtx, self.maxin, self.maxout) for _ in range(2)]
        # payloads of recently used addresses (direct-mapped by address id), worker-owned
        self.pc_tag = np.full(PAYLOAD_CACHE, -1, np.int64)
        self.pc_pay = np.zeros((PAYLOAD_CACHE, 32), np.uint8)
        p = pop
        for tb in self.sets:
            tb.ctx = make_ctx(self.U, self.Utxid, p.W, self.C, self.FREE, self.RNG, tb.T, tb.I,
                              tb.O, tb.A, tb.P, tb.D, tb.CA, p.CUST, p.EX, p.DIR, p.SOFTL, self.PF,
                              self.PI, self.DEN, self.POOLS, self.SCR, p.FPR, self.REQ)

    def needs_growth(self) -> bool:
        return int(self.C[K.C_HIGH]) + self.maxout + 16 > self.U.shape[0]

    def grow(self) -> None:
        """Double the UTXO arrays (call only while no block is being serialized)."""
        cap = self.U.shape[0]
        need = int(self.C[K.C_HIGH]) + self.maxout + 16
        new = cap
        while new < need:
            new *= 2
        U = np.zeros((new, K.U_NCOL), np.int64)
        U[:cap] = self.U
        Utxid = np.zeros((new, 32), np.uint8)
        Utxid[:cap] = self.Utxid
        FREE = np.zeros(new, np.int64)
        FREE[:cap] = self.FREE
        self.U, self.Utxid, self.FREE = U, Utxid, FREE
        for tb in self.sets:
            set_utxo_arrays(tb.ctx, U, Utxid, FREE)


@dataclass
class _Job:
    """What the worker needs to finish one block the engine built."""

    h: int
    tb: _Tables
    ntx: int
    nout: int
    na: int
    npart: int
    nd: int
    nca: int
    fees: int
    pool: int
    time: int
    third: int


class _Finisher:
    """Serializes, hashes, writes and records blocks, in order (runs on the worker thread)."""

    def __init__(self, eng: _Engine, pop, key: int, writer: BlockFileWriter, truth: TruthWriter,
                 stats: SimStats, prev: bytes):
        self.eng = eng
        self.pop = pop
        self.key = np.uint64(key)
        self.writer = writer
        self.truth = truth
        self.stats = stats
        self.prev = prev

    def finish(self, job: _Job) -> None:
        tb = job.tb
        eng = self.eng
        pop = self.pop
        ntx = job.ntx
        end = serialize_block(tb.buf, 8, tb.T, tb.I, tb.O, eng.Utxid, ntx, self.key, job.h,
                              pop.pool_tags, pop.pool_tag_len, tb.tx_off, tb.tx_len, tb.body_off,
                              tb.body_len, tb.lock_off, tb.commit_pos, tb.txids, tb.wtxids,
                              eng.pc_tag, eng.pc_pay, tb.apay, tb.aplen)
        finish_block(tb.buf, 8, ntx, tb.tx_off, tb.tx_len, tb.body_off, tb.body_len, tb.lock_off,
                     tb.commit_pos, tb.txids, tb.wtxids, tb.work, BLOCK_VERSION,
                     np.frombuffer(self.prev, np.uint8), job.time, BITS, eng.target, tb.block_hash)
        fill_txids(tb.O, int(tb.T[0, K.T_OUT0]), int(tb.T[0, K.T_NOUT]), eng.Utxid, tb.txids, 0)
        # the coinbase's size is known only now
        cb_stripped = 8 + int(tb.body_len[0])
        tb.T[0, K.T_WEIGHT] = cb_stripped * 3 + int(tb.tx_len[0])
        tb.T[0, K.T_VSIZE] = (int(tb.T[0, K.T_WEIGHT]) + 3) // 4
        self.writer.write_framed(tb.buf, 0, end)
        self.prev = tb.block_hash.tobytes()
        pw = int(tb.T[0, K.T_SENDER])
        tag = bytes(pop.pool_tags[job.pool, :pop.pool_tag_len[job.pool]]).decode()
        self.truth.add_block(job.h, self.prev[::-1].hex(), job.time, tb.T, ntx, tb.txids, tb.A,
                             job.na, tb.P, job.npart, tb.D, job.nd, tb.CA, job.nca, tb.apay,
                             tb.aplen, int(pop.W[pw, K.W_ENTITY]), tag, job.fees, subsidy(job.h))
        self.stats.add_block(tb.T, ntx, tb.O, job.nout, job.third)


def simulate(out_dir: str | Path, n_txs: int, seed: int, profile: str | Profile = "default",
             xor: bool = False, *, max_file_size: int = MAX_BLOCKFILE_SIZE,
             progress: Callable[[int, int], None] | None = None,
             **overrides) -> SimResult:
    """Simulate an economy of known actors and write its blocks and ground truth.

    Writes ``out_dir/blocks/blk*.dat`` (regtest, Bitcoin Core framing, files
    rolled at ``max_file_size``, obfuscated with ``xor.dat`` when ``xor``),
    ``out_dir/truth/*.parquet`` and ``out_dir/sim.json``. The same seed,
    profile and overrides give byte-identical output. ``progress(done,
    total)`` is called after each block.
    """
    if n_txs < 1:
        raise SimulationError("--txs must be at least 1")
    if max_file_size < 1024:
        raise SimulationError("block file size limit must be at least 1 KiB")
    prof = get_profile(profile, **overrides)
    if prof.txs_per_block < 2:
        raise SimulationError("txs_per_block must be at least 2")
    out = Path(out_dir)
    _prepare_out(out)
    t_start = time.perf_counter()
    rng = np.random.default_rng(seed)
    pop = build_population(rng, prof, n_txs)
    key = int(rng.integers(1, 1 << 62))
    eng = _Engine(pop, key, int(rng.integers(1, 1 << 62)), prof, prof.txs_per_block)
    # the key has its own stream, so obfuscation leaves the chain itself unchanged
    xor_key = np.random.default_rng([seed, 0x786F72]).bytes(8) if xor else None
    blocks_dir = out / "blocks"
    truth_dir = out / "truth"
    writer = BlockFileWriter(blocks_dir, REGTEST.magic, max_file_size, xor_key)
    truth = TruthWriter(truth_dir, REGTEST, key, pop, prof.sanctioned_listed)
    stats = SimStats()
    weights = _intent_weights(prof)
    surge_share = float((pop.CUST[:, S.CU_SURGE] == 1).mean()) if prof.surge_country else 0.0

    # genesis
    gen = genesis_block()
    gbuf = np.zeros(len(gen) + 8, np.uint8)
    gbuf[8:] = np.frombuffer(gen, np.uint8)
    writer.write_framed(gbuf, 0, len(gbuf))
    prev = sha256d(gen[:80])
    assert prev[::-1].hex() == REGTEST.genesis_hash
    gen_txid = np.frombuffer(sha256d(_GENESIS_COINBASE), np.uint8).reshape(1, 32)
    _genesis_truth(truth, gen_txid)

    fin = _Finisher(eng, pop, key, writer, truth, stats, prev)
    pool_exec = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chaintrail-sim")
    pending: dict[int, Future] = {}
    try:
        expected_tip = prof.bootstrap_blocks + math.ceil(
            max(0, n_txs - prof.bootstrap_blocks) / max(1.0, prof.txs_per_block * 0.95))
        fee_mu = math.log(prof.fee_median)
        log_fee = fee_mu
        t_block = prof.start_time
        done = 0
        h = 0
        n_pools = int(pop.DIR[S.DIR_NPOOL])
        while done < n_txs:
            h += 1
            tb = eng.sets[h % 2]
            # the table set is free once the block two back is finished
            if h - 2 in pending:
                pending.pop(h - 2).result()
            if eng.needs_growth():
                for f in pending.values():
                    f.result()
                pending.clear()
                eng.grow()
            remaining = n_txs - done
            boot = h <= prof.bootstrap_blocks
            cap_tx = min(prof.txs_per_block, remaining)
            eng.PI[S.PI_HEIGHT] = h
            eng.PI[S.PI_MAXTX] = cap_tx
            eng.PI[S.PI_BOOTSTRAP] = 1 if boot else 0
            frac = min(1.0, max(0, h - prof.bootstrap_blocks)
                       / max(expected_tip - prof.bootstrap_blocks, 1))
            year = prof.calendar_start + (prof.calendar_end - prof.calendar_start) * frac
            eng.PF[S.PF_YEAR] = year
            eng.PF[S.PF_SHARES:S.PF_SHARES + 4] = era_shares(
                year, prof.segwit_nested_mid, prof.segwit_native_mid, prof.taproot_mid)
            eng.PF[S.PF_SHARES_M:S.PF_SHARES_M + 4] = era_shares(
                year - 1.0, prof.segwit_nested_mid, prof.segwit_native_mid, prof.taproot_mid)
            log_fee += 0.15 * (fee_mu - log_fee) + prof.fee_volatility * rng.standard_normal()
            eng.PF[S.PF_FEERATE] = math.exp(log_fee)
            p2 = 0.8 if boot else prof.p2pool_share
            pool = n_pools if rng.random() < p2 else int(rng.choice(n_pools, p=pop.pool_weights))
            eng.PI[S.PI_POOL] = pool
            if boot or cap_tx <= 1:
                intents = np.zeros(0, np.int64)
            else:
                n_sched = int((cap_tx - 1) * 1.3) + 8
                counts = rng.multinomial(n_sched, weights)
                counts[K.I_WASABI1] = rng.poisson(prof.wasabi1_rounds)
                counts[K.I_WASABI2] = rng.poisson(prof.wasabi2_rounds)
                intents = rng.permutation(np.repeat(np.arange(K.N_INTENTS, dtype=np.int64), counts))
                if prof.surge_factor > 0 and prof.surge_country and t_block >= prof.surge_after:
                    extra = rng.poisson(prof.surge_factor * counts[K.I_DEPOSIT] * surge_share)
                    if extra:
                        intents = rng.permutation(np.concatenate(
                            [intents, np.full(extra, K.I_SURGE_DEPOSIT, np.int64)]))
            k_cb = prof.bootstrap_payouts if boot else 80
            reserve = 4 * (200 + 44 * k_cb) + 400
            ntx, _fails = run_block(tb.ctx, intents, subsidy(h), reserve)
            ntx = int(ntx)
            t_block += 1 + int(rng.exponential(prof.block_interval))
            C = eng.C
            job = _Job(h, tb, ntx, int(C[K.C_NOUT]), int(C[K.C_NA]), int(C[K.C_NP]),
                       int(C[K.C_ND]), int(C[K.C_NCA]), int(C[K.C_FEES]), pool, t_block,
                       0 if boot else min(2, int(3 * frac)))
            pending[h] = pool_exec.submit(fin.finish, job)
            done += ntx
            if progress is not None:
                progress(done, n_txs)
        for k in sorted(pending):
            pending.pop(k).result()
    finally:
        pool_exec.shutdown(wait=True, cancel_futures=True)
        writer.close()
    truth_rows = truth.close()
    elapsed = time.perf_counter() - t_start
    st = stats.as_dict()
    st["failed_intents"] = {name: int(eng.REQ[32 + i]) for i, name in enumerate(INTENT_NAMES)}
    res = SimResult(
        out_dir=out, blocks_dir=blocks_dir, truth_dir=truth_dir, block_files=list(writer.paths),
        n_blocks=h + 1, n_txs=done, n_addresses=int(eng.C[K.C_NEXT_ADDR]), tip_height=h,
        tip_hash=fin.prev[::-1].hex(), elapsed=elapsed, txs_per_second=done / max(elapsed, 1e-9),
        bytes_written=writer.bytes_written, truth_rows=truth_rows, stats=st,
        profile=prof.name, seed=seed,
    )
    manifest = {
        "format_version": FORMAT_VERSION, "network": REGTEST.name, "seed": seed,
        "n_txs": n_txs, "profile": asdict(prof), "xor": bool(xor), "max_file_size": max_file_size,
        "tip_height": h, "tip_hash": res.tip_hash, "blocks": res.n_blocks,
        "block_files": [p.name for p in res.block_files], "truth_rows": truth_rows,
        "addresses": res.n_addresses, "live_utxos": int(eng.C[K.C_LIVE]),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, default=str) + "\n")
    return res


INTENT_NAMES = (
    "payment", "merchant", "deposit", "withdrawal", "sweep", "cold", "consolidation", "donation",
    "donation_coinjoin", "pool_payout", "settlement", "data", "payjoin", "ransom", "peel", "market",
    "whirlpool", "tx0", "joinmarket", "wasabi1", "wasabi2",
)


def _genesis_truth(truth: TruthWriter, txid: np.ndarray) -> None:
    import pyarrow as pa

    truth.txs.add(
        txid=pa.array([txid[0, ::-1].tobytes().hex()]), height=pa.array([0], pa.int32()),
        block_pos=pa.array([0], pa.int32()), kind=pa.array(["coinbase"]),
        protocol=pa.nulls(1, pa.string()), sender_wallet_id=pa.nulls(1, pa.int64()),
        sender_entity_id=pa.nulls(1, pa.int64()), change_vout=pa.array([-1], pa.int32()),
        fee=pa.array([0], pa.int64()), vsize=pa.array([204], pa.int32()),
        n_inputs=pa.array([1], pa.int32()), n_outputs=pa.array([1], pa.int32()),
        address_reuse=pa.array([False]),
    )
    truth.blocks.add(
        height=pa.array([0], pa.int32()), hash=pa.array([REGTEST.genesis_hash]),
        time=pa.array([GENESIS_TIME], pa.int64()), n_tx=pa.array([1], pa.int32()),
        pool_entity_id=pa.nulls(1, pa.int64()), coinbase_tag=pa.nulls(1, pa.string()),
        fees=pa.array([0], pa.int64()), subsidy=pa.array([50 * COIN], pa.int64()),
    )
