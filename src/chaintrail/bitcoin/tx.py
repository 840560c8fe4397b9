"""Transactions: legacy and BIP144 SegWit serialization, txid, wtxid, size,
vsize and weight. Plain objects for decoding single transactions and for
tests; bulk work goes through the numba kernels in ``parse_kernels``."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from chaintrail.bitcoin.hashing import hash_to_hex, sha256d
from chaintrail.bitcoin.serialize import ByteReader, ser_bytes, ser_compact_size
from chaintrail.errors import DecodeError

NULL_TXID = b"\x00" * 32
COINBASE_VOUT = 0xFFFFFFFF
MAX_MONEY = 21_000_000 * 100_000_000


@dataclass
class TxIn:
    prev_txid: bytes  # internal byte order
    prev_vout: int
    script_sig: bytes
    sequence: int
    witness: list[bytes] = field(default_factory=list)

    @property
    def is_coinbase(self) -> bool:
        return self.prev_txid == NULL_TXID and self.prev_vout == COINBASE_VOUT


@dataclass
class TxOut:
    value: int
    script_pubkey: bytes


@dataclass
class Tx:
    version: int
    inputs: list[TxIn]
    outputs: list[TxOut]
    locktime: int

    @property
    def has_witness(self) -> bool:
        return any(i.witness for i in self.inputs)

    @property
    def is_coinbase(self) -> bool:
        return len(self.inputs) == 1 and self.inputs[0].is_coinbase

    def serialize(self, with_witness: bool = True) -> bytes:
        """Wire bytes; with_witness=False gives the stripped form that txids hash."""
        segwit = with_witness and self.has_witness
        parts = [struct.pack("<i", self.version)]
        if segwit:
            parts.append(b"\x00\x01")
        parts.append(ser_compact_size(len(self.inputs)))
        for i in self.inputs:
            parts.append(i.prev_txid + struct.pack("<I", i.prev_vout))
            parts.append(ser_bytes(i.script_sig) + struct.pack("<I", i.sequence))
        parts.append(ser_compact_size(len(self.outputs)))
        for o in self.outputs:
            parts.append(struct.pack("<q", o.value) + ser_bytes(o.script_pubkey))
        if segwit:
            for i in self.inputs:
                parts.append(ser_compact_size(len(i.witness)))
                parts.extend(ser_bytes(item) for item in i.witness)
        parts.append(struct.pack("<I", self.locktime))
        return b"".join(parts)

    def txid_bytes(self) -> bytes:
        return sha256d(self.serialize(with_witness=False))

    def wtxid_bytes(self) -> bytes:
        return sha256d(self.serialize(with_witness=True))

    @property
    def txid(self) -> str:
        return hash_to_hex(self.txid_bytes())

    @property
    def wtxid(self) -> str:
        return hash_to_hex(self.wtxid_bytes())

    @property
    def size(self) -> int:
        return len(self.serialize(with_witness=True))

    @property
    def stripped_size(self) -> int:
        return len(self.serialize(with_witness=False))

    @property
    def weight(self) -> int:
        return self.stripped_size * 3 + self.size

    @property
    def vsize(self) -> int:
        return (self.weight + 3) // 4

    @classmethod
    def parse(cls, r: ByteReader, where: str = "transaction") -> Tx:
        """Read one transaction from a reader (BIP144 marker/flag aware)."""
        version = r.i32(f"{where} version")
        n_in = r.compact_size(f"{where} input count")
        segwit = False
        if n_in == 0:
            flag = r.u8(f"{where} segwit flag")
            if flag != 1:
                raise DecodeError(f"{where}: invalid segwit flag {flag} (expected 1)")
            segwit = True
            n_in = r.compact_size(f"{where} input count")
            if n_in == 0:
                raise DecodeError(f"{where}: segwit transaction with no inputs")
        inputs = []
        for k in range(n_in):
            w = f"{where} input {k}"
            prev = r.read(32, f"{w} prevout txid")
            vout = r.u32(f"{w} prevout index")
            script = r.var_bytes(f"{w} scriptSig")
            seq = r.u32(f"{w} sequence")
            inputs.append(TxIn(prev, vout, script, seq))
        n_out = r.compact_size(f"{where} output count")
        outputs = []
        for k in range(n_out):
            value = r.i64(f"{where} output {k} value")
            if value < 0 or value > MAX_MONEY:
                raise DecodeError(f"{where} output {k}: value {value} out of range")
            outputs.append(TxOut(value, r.var_bytes(f"{where} output {k} scriptPubKey")))
        if segwit:
            for k, txin in enumerate(inputs):
                n_items = r.compact_size(f"{where} input {k} witness count")
                txin.witness = [r.var_bytes(f"{where} input {k} witness item") for _ in range(n_items)]
            if not any(i.witness for i in inputs):
                raise DecodeError(f"{where}: segwit marker set but every witness is empty")
        locktime = r.u32(f"{where} locktime")
        return cls(version, inputs, outputs, locktime)

    @classmethod
    def from_bytes(cls, data: bytes) -> Tx:
        """Decode exactly one transaction; trailing bytes are an error."""
        r = ByteReader(data)
        tx = cls.parse(r)
        if r.remaining():
            raise DecodeError(f"transaction has {r.remaining()} trailing bytes after locktime")
        return tx
