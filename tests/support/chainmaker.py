"""Build small valid regtest chains from the pure-Python classes, for tests:
random transactions spending random unspent outputs, proper merkle roots,
witness commitments and proof of work at regtest difficulty."""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field

from chaintrail.bitcoin.block import Block, BlockHeader, merkle_root
from chaintrail.bitcoin.hashing import hash160, sha256d
from chaintrail.bitcoin.networks import REGTEST
from chaintrail.bitcoin.tx import COINBASE_VOUT, NULL_TXID, Tx, TxIn, TxOut

REGTEST_BITS = 0x207FFFFF


def _script_for(rng: random.Random, kind: str) -> bytes:
    h20 = rng.randbytes(20)
    if kind == "p2pkh":
        return b"\x76\xa9\x14" + h20 + b"\x88\xac"
    if kind == "p2sh":
        return b"\xa9\x14" + h20 + b"\x87"
    if kind == "p2wpkh":
        return b"\x00\x14" + h20
    if kind == "p2wsh":
        return b"\x00\x20" + rng.randbytes(32)
    if kind == "p2tr":
        return b"\x51\x20" + rng.randbytes(32)
    if kind == "p2pk":
        return b"\x21\x02" + rng.randbytes(32) + b"\xac"
    if kind == "op_return":
        return b"\x6a\x08" + rng.randbytes(8)
    return b"\x51"  # OP_TRUE: nonstandard


KINDS = ("p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "p2pk", "op_return", "nonstandard")


@dataclass
class Chain:
    blocks: list[Block] = field(default_factory=list)
    utxos: dict[tuple[bytes, int], int] = field(default_factory=dict)  # outpoint -> value
    fees: dict[str, int] = field(default_factory=dict)  # txid -> fee

    @property
    def tip_hash(self) -> bytes:
        return self.blocks[-1].header.hash_bytes() if self.blocks else bytes.fromhex(REGTEST.genesis_hash)[::-1]


def mine(header: BlockHeader) -> BlockHeader:
    while not header.pow_ok():
        header.nonce += 1
    return header


def make_block(chain: Chain, txs: list[Tx], height: int, time: int) -> Block:
    wtx = any(t.has_witness for t in txs)
    reward = 50 * 100_000_000 + sum(chain.fees.get(t.txid, 0) for t in txs)
    cb_script = bytes([3]) + struct.pack("<I", height)[:3] + b"chaintrail-test"
    coinbase = Tx(2, [TxIn(NULL_TXID, COINBASE_VOUT, cb_script, 0xFFFFFFFF)],
                  [TxOut(reward, b"\x00\x14" + hash160(struct.pack("<I", height)))], 0)
    if wtx:
        coinbase.inputs[0].witness = [b"\x00" * 32]
        wroot = merkle_root([b"\x00" * 32] + [t.wtxid_bytes() for t in txs])
        coinbase.outputs.append(TxOut(0, bytes.fromhex("6a24aa21a9ed") + sha256d(wroot + b"\x00" * 32)))
    all_txs = [coinbase] + txs
    header = BlockHeader(0x20000000, chain.tip_hash, merkle_root([t.txid_bytes() for t in all_txs]),
                         time, REGTEST_BITS, 0)
    block = Block(mine(header), all_txs)
    for t in all_txs:
        for i in t.inputs:
            if not i.is_coinbase:
                del chain.utxos[(i.prev_txid, i.prev_vout)]
        for k, o in enumerate(t.outputs):
            if o.script_pubkey[:1] != b"\x6a":
                chain.utxos[(t.txid_bytes(), k)] = o.value
    chain.blocks.append(block)
    return block


def random_chain(seed: int, n_blocks: int = 6, max_txs: int = 6) -> Chain:
    """A regtest chain on the real regtest genesis: coinbases, then random spends."""
    rng = random.Random(seed)
    chain = Chain()
    genesis_time = 1296688602
    for height in range(1, n_blocks + 1):
        txs: list[Tx] = []
        spendable = [op for op in chain.utxos if chain.utxos[op] > 1000]
        rng.shuffle(spendable)
        for _ in range(rng.randint(0, max_txs)):
            if not spendable:
                break
            n_in = min(len(spendable), rng.randint(1, 3))
            ins = [spendable.pop() for _ in range(n_in)]
            total = sum(chain.utxos[op] for op in ins)
            fee = rng.randint(0, min(total // 10, 50_000))
            n_out = rng.randint(1, 4)
            left = total - fee
            values = []
            for k in range(n_out - 1):
                v = rng.randint(0, left)
                values.append(v)
                left -= v
            values.append(left)
            kinds = [rng.choice(KINDS) for _ in values]
            outs = [TxOut(0 if k == "op_return" else v, _script_for(rng, k)) for v, k in zip(values, kinds)]
            fee += sum(v for v, k in zip(values, kinds) if k == "op_return")
            segwit = rng.random() < 0.5
            tx = Tx(rng.choice((1, 2)), [TxIn(op[0], op[1], b"" if segwit else rng.randbytes(rng.randint(0, 80)),
                                              rng.choice((0xFFFFFFFF, 0xFFFFFFFD)),
                                              [rng.randbytes(72), rng.randbytes(33)] if segwit else [])
                                         for op in ins],
                    outs, rng.choice((0, height)))
            chain.fees[tx.txid] = fee
            txs.append(tx)
        make_block(chain, txs, height, genesis_time + 600 * height)
    return chain


def regtest_genesis() -> bytes:
    """The real regtest genesis block."""
    coinbase = bytes.fromhex(
        "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d"
        "0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66"
        "207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe55"
        "48271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b"
        "8d578a4c702b6bf11d5fac00000000")
    header = struct.pack("<i32s32sIII", 1, b"\x00" * 32, sha256d(coinbase), 1296688602, REGTEST_BITS, 2)
    return header + b"\x01" + coinbase


def write_blk(path, blocks: list[bytes]) -> None:
    with open(path, "wb") as f:
        for b in blocks:
            f.write(REGTEST.magic + struct.pack("<I", len(b)) + b)
