"""Parse a batch of raw blocks into flat columns, hash them, and validate
them (merkle root, BIP141 witness commitment, proof of work against nBits).

This is the functional core of ingest: bytes in, arrays out, no store.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaintrail.bitcoin import parse_kernels as P
from chaintrail.bitcoin.block import WITNESS_COMMITMENT_PREFIX
from chaintrail.bitcoin.networks import target_from_bits
from chaintrail.ingest import hash_batch

HEADER_DTYPE = np.dtype([
    ("version", "<i4"), ("prev_hash", "V32"), ("merkle_root", "V32"),
    ("time", "<u4"), ("bits", "<u4"), ("nonce", "<u4"),
])


@dataclass
class BlockProblem:
    """Why block `index` of the batch was refused, and at which byte of it."""

    index: int
    reason: str
    offset_in_block: int = 0


@dataclass
class ParsedBatch:
    buf: np.ndarray
    blk_off: np.ndarray
    blk_len: np.ndarray
    header: np.ndarray  # structured HEADER_DTYPE, one per block
    block_hash: np.ndarray  # uint8[nb, 32], internal order
    n_tx: np.ndarray
    first_tx: np.ndarray
    n_in: np.ndarray
    first_in: np.ndarray
    n_out: np.ndarray
    first_out: np.ndarray
    tx_off: np.ndarray
    tx_len: np.ndarray
    tx_wit_off: np.ndarray
    tx_version: np.ndarray
    tx_locktime: np.ndarray
    tx_nin: np.ndarray
    tx_nout: np.ndarray
    tx_first_in: np.ndarray
    tx_first_out: np.ndarray
    tx_block: np.ndarray  # block index of each tx within the batch
    txid: np.ndarray  # uint8[nt, 32]
    wtxid: np.ndarray
    in_prev_off: np.ndarray
    in_prev_vout: np.ndarray
    in_script_off: np.ndarray
    in_script_len: np.ndarray
    in_seq: np.ndarray
    out_value: np.ndarray
    out_script_off: np.ndarray
    out_script_len: np.ndarray

    @property
    def n_blocks(self) -> int:
        return len(self.blk_off)

    @property
    def n_txs(self) -> int:
        return len(self.tx_off)

    def tx_stripped_len(self) -> np.ndarray:
        segwit = self.tx_wit_off >= 0
        wit_bytes = np.where(segwit, self.tx_off + self.tx_len - 4 - self.tx_wit_off, 0)
        return self.tx_len - np.where(segwit, 2, 0) - wit_bytes

    def tx_coinbase(self) -> np.ndarray:
        cb = np.zeros(self.n_txs, np.bool_)
        cb[self.first_tx] = True
        return cb


def concat_blocks(blocks: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One contiguous uint8 buffer holding every block, with offsets and lengths."""
    lens = np.fromiter((len(b) for b in blocks), np.int64, len(blocks))
    offs = np.zeros(len(blocks), np.int64)
    if len(blocks) > 1:
        np.cumsum(lens[:-1], out=offs[1:])
    buf = np.frombuffer(b"".join(blocks), np.uint8) if blocks else np.zeros(0, np.uint8)
    return buf, offs, lens


def parse_batch(blocks: list[bytes]) -> tuple[ParsedBatch | None, BlockProblem | None]:
    """Parse every block; on the first malformed one return the problem instead."""
    return parse_batch_at(*concat_blocks(blocks))


def parse_batch_at(buf: np.ndarray, blk_off: np.ndarray, blk_len: np.ndarray
                   ) -> tuple[ParsedBatch | None, BlockProblem | None]:
    """Parse the blocks lying in buf at the given offsets (a blk file image, without copying)."""
    nb = len(blk_off)
    short = np.nonzero(blk_len < 81)[0]
    if len(short):
        return None, BlockProblem(int(short[0]), "shorter than a block header", 0)
    n_tx = np.zeros(nb, np.int64)
    n_in = np.zeros(nb, np.int64)
    n_out = np.zeros(nb, np.int64)
    err = np.zeros(nb, np.int64)
    err_pos = np.zeros(nb, np.int64)
    P.count_blocks(buf, blk_off, blk_len, n_tx, n_in, n_out, err, err_pos)
    bad = np.nonzero(err)[0]
    if len(bad):
        b = int(bad[0])
        return None, BlockProblem(b, P.ERROR_TEXT[int(err[b])], int(err_pos[b] - blk_off[b]))

    def starts(counts: np.ndarray) -> np.ndarray:
        s = np.zeros(len(counts), np.int64)
        if len(counts) > 1:
            np.cumsum(counts[:-1], out=s[1:])
        return s

    first_tx, first_in, first_out = starts(n_tx), starts(n_in), starts(n_out)
    nt, ni, no = int(n_tx.sum()), int(n_in.sum()), int(n_out.sum())
    tx_off = np.empty(nt, np.int64)
    tx_len = np.empty(nt, np.int64)
    tx_wit_off = np.empty(nt, np.int64)
    tx_version = np.empty(nt, np.int32)
    tx_locktime = np.empty(nt, np.uint32)
    tx_nin = np.empty(nt, np.int64)
    tx_nout = np.empty(nt, np.int64)
    in_prev_off = np.empty(ni, np.int64)
    in_prev_vout = np.empty(ni, np.uint32)
    in_script_off = np.empty(ni, np.int64)
    in_script_len = np.empty(ni, np.int64)
    in_seq = np.empty(ni, np.uint32)
    out_value = np.empty(no, np.int64)
    out_script_off = np.empty(no, np.int64)
    out_script_len = np.empty(no, np.int64)
    P.fill_blocks(buf, blk_off, blk_len, first_tx, first_in, first_out,
                  tx_off, tx_len, tx_wit_off, tx_version, tx_locktime, tx_nin, tx_nout,
                  in_prev_off, in_prev_vout, in_script_off, in_script_len, in_seq,
                  out_value, out_script_off, out_script_len)
    header = np.empty(nb, HEADER_DTYPE)
    if nb:
        idx = blk_off[:, None] + np.arange(80)
        header = buf[idx].copy().view(HEADER_DTYPE).reshape(nb)
    tx_first_in = starts(tx_nin)
    tx_first_out = starts(tx_nout)
    tx_block = np.repeat(np.arange(nb, dtype=np.int64), n_tx)
    block_hash = hash_batch.block_hashes(buf, blk_off)
    txid, wtxid = hash_batch.tx_hashes(buf, tx_off, tx_len, tx_wit_off)
    pb = ParsedBatch(
        buf, blk_off, blk_len, header, block_hash, n_tx, first_tx, n_in, first_in, n_out, first_out,
        tx_off, tx_len, tx_wit_off, tx_version, tx_locktime, tx_nin, tx_nout, tx_first_in,
        tx_first_out, tx_block, txid, wtxid, in_prev_off, in_prev_vout, in_script_off,
        in_script_len, in_seq, out_value, out_script_off, out_script_len,
    )
    return pb, None


def validate_batch(pb: ParsedBatch) -> BlockProblem | None:
    """Check proof of work, merkle root and witness commitment of every block."""
    roots = hash_batch.merkle_roots(pb.txid, pb.first_tx, pb.n_tx)
    wroots = hash_batch.merkle_roots(pb.wtxid, pb.first_tx, pb.n_tx, zero_first=True)
    for b in range(pb.n_blocks):
        h = pb.header[b]
        target = target_from_bits(int(h["bits"]))
        if target <= 0 or int.from_bytes(pb.block_hash[b].tobytes(), "little") > target:
            return BlockProblem(b, f"proof of work does not meet its nBits {int(h['bits']):08x}")
        if roots[b].tobytes() != h["merkle_root"].tobytes():
            return BlockProblem(b, "merkle root does not match its transactions")
        problem = _witness_problem(pb, b, wroots[b].tobytes())
        if problem:
            return BlockProblem(b, problem)
    return None


def _witness_problem(pb: ParsedBatch, b: int, witness_root: bytes) -> str | None:
    t0 = int(pb.first_tx[b])
    t_end = t0 + int(pb.n_tx[b])
    has_witness = bool((pb.tx_wit_off[t0:t_end] >= 0).any())
    commitment = None
    buf = pb.buf
    for o in range(int(pb.tx_first_out[t0]), int(pb.tx_first_out[t0] + pb.tx_nout[t0])):
        off, ln = int(pb.out_script_off[o]), int(pb.out_script_len[o])
        if ln >= 38 and buf[off:off + 6].tobytes() == WITNESS_COMMITMENT_PREFIX:
            commitment = buf[off + 6:off + 38].tobytes()
    if commitment is None:
        return "witness data without a witness commitment" if has_witness else None
    reserved = _coinbase_reserved_value(pb, t0)
    if reserved is None:
        return "witness commitment without a 32-byte witness reserved value" if has_witness else None
    if hash_batch.sha256d(witness_root + reserved) != commitment:
        return "witness commitment does not match the witness merkle root"
    return None


def _coinbase_reserved_value(pb: ParsedBatch, t: int) -> bytes | None:
    w = int(pb.tx_wit_off[t])
    if w < 0:
        return None
    buf = pb.buf
    if buf[w] != 1 or buf[w + 1] != 32:
        return None
    return buf[w + 2:w + 34].tobytes()
