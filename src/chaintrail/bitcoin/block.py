"""Blocks: the 80-byte header, the transaction list, merkle roots, the BIP141
witness commitment and the proof-of-work check."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from chaintrail.bitcoin.hashing import hash_to_hex, sha256d
from chaintrail.bitcoin.networks import target_from_bits
from chaintrail.bitcoin.serialize import ByteReader, ser_compact_size
from chaintrail.bitcoin.tx import Tx
from chaintrail.errors import DecodeError

HEADER_SIZE = 80
WITNESS_COMMITMENT_PREFIX = bytes.fromhex("6a24aa21a9ed")
MAX_BLOCK_SERIALIZED = 4_000_000  # consensus bound on a block's total size


@dataclass
class BlockHeader:
    version: int
    prev_hash: bytes  # internal byte order
    merkle_root: bytes
    time: int
    bits: int
    nonce: int

    def serialize(self) -> bytes:
        return struct.pack(
            "<i32s32sIII", self.version, self.prev_hash, self.merkle_root,
            self.time, self.bits, self.nonce,
        )

    def hash_bytes(self) -> bytes:
        return sha256d(self.serialize())

    @property
    def hash(self) -> str:
        return hash_to_hex(self.hash_bytes())

    def pow_ok(self) -> bool:
        """True when the header hash meets the target its nBits claims."""
        target = target_from_bits(self.bits)
        return target > 0 and int.from_bytes(self.hash_bytes(), "little") <= target

    @classmethod
    def from_bytes(cls, data: bytes) -> BlockHeader:
        if len(data) < HEADER_SIZE:
            raise DecodeError(f"block header needs 80 bytes, got {len(data)}")
        v, prev, mr, t, bits, nonce = struct.unpack("<i32s32sIII", bytes(data[:HEADER_SIZE]))
        return cls(v, prev, mr, t, bits, nonce)


def merkle_root(hashes: list[bytes]) -> bytes:
    """Bitcoin's merkle root: pairwise sha256d, duplicating the last odd node."""
    if not hashes:
        return b"\x00" * 32
    level = list(hashes)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


@dataclass
class Block:
    header: BlockHeader
    txs: list[Tx]

    @property
    def hash(self) -> str:
        return self.header.hash

    def serialize(self) -> bytes:
        return self.header.serialize() + ser_compact_size(len(self.txs)) + b"".join(
            tx.serialize() for tx in self.txs
        )

    @property
    def size(self) -> int:
        return len(self.serialize())

    @property
    def stripped_size(self) -> int:
        return HEADER_SIZE + len(ser_compact_size(len(self.txs))) + sum(t.stripped_size for t in self.txs)

    @property
    def weight(self) -> int:
        return self.stripped_size * 3 + self.size

    def computed_merkle_root(self) -> bytes:
        return merkle_root([tx.txid_bytes() for tx in self.txs])

    def witness_commitment(self) -> bytes | None:
        """The commitment in the coinbase's last 0x6a24aa21a9ed output, if any."""
        if not self.txs:
            return None
        found = None
        for out in self.txs[0].outputs:
            spk = out.script_pubkey
            if len(spk) >= 38 and spk[:6] == WITNESS_COMMITMENT_PREFIX:
                found = spk[6:38]
        return found

    def witness_commitment_ok(self) -> bool:
        """BIP141: a block with witness data must commit to the wtxid merkle root."""
        has_witness = any(tx.has_witness for tx in self.txs)
        commitment = self.witness_commitment()
        if commitment is None:
            return not has_witness
        coinbase_witness = self.txs[0].inputs[0].witness if self.txs[0].inputs else []
        if len(coinbase_witness) != 1 or len(coinbase_witness[0]) != 32:
            return not has_witness
        wtxids = [b"\x00" * 32] + [tx.wtxid_bytes() for tx in self.txs[1:]]
        return sha256d(merkle_root(wtxids) + coinbase_witness[0]) == commitment

    @classmethod
    def from_bytes(cls, data: bytes) -> Block:
        """Decode exactly one block; trailing bytes are an error."""
        header = BlockHeader.from_bytes(data)
        r = ByteReader(data, HEADER_SIZE)
        n = r.compact_size("transaction count")
        if n == 0:
            raise DecodeError("block has no transactions")
        txs = [Tx.parse(r, f"transaction {k}") for k in range(n)]
        if r.remaining():
            raise DecodeError(f"block has {r.remaining()} trailing bytes after its last transaction")
        return cls(header, txs)
