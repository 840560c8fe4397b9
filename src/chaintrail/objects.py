"""Browsing objects for notebooks: a block, a transaction, its inputs and
outputs, an address. Each is a cheap view (a store and an id) whose fields
are read from the memory-mapped analysis arrays when asked for, so making
millions of them costs nothing until they are used; bulk work goes through
``Chain.sql`` and the tables, never through these objects."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from chaintrail.bitcoin import script_types as st
from chaintrail.store.arrays import FLAG_COINBASE, FLAG_SEGWIT

if TYPE_CHECKING:
    import duckdb

    from chaintrail.chain import Chain


def _btc(sat: int | None) -> str:
    return "unknown" if sat is None else f"{sat / 1e8:.8f} BTC"


def _or_none(v: int) -> int | None:
    return None if v < 0 else int(v)


def _html_table(title: str, rows: list[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<b>{title}</b><table>{body}</table>"


class Tx:
    """A transaction of the store, by tx_id."""

    __slots__ = ("_chain", "tx_id", "__dict__")

    def __init__(self, chain: Chain, tx_id: int):
        self._chain = chain
        self.tx_id = int(tx_id)

    @property
    def _a(self):
        return self._chain._arrays

    @cached_property
    def txid(self) -> str:
        return bytes(self._a.tx_hash[self.tx_id]).hex()

    @property
    def height(self) -> int | None:
        return _or_none(int(self._a.tx_height[self.tx_id]))

    @property
    def time(self) -> int:
        return int(self._a.tx_time[self.tx_id])

    @property
    def version(self) -> int:
        return int(self._a.tx_version[self.tx_id])

    @property
    def locktime(self) -> int:
        return int(self._a.tx_locktime[self.tx_id])

    @property
    def vsize(self) -> int:
        return int(self._a.tx_vsize[self.tx_id])

    @property
    def is_coinbase(self) -> bool:
        return bool(self._a.tx_flags[self.tx_id] & FLAG_COINBASE)

    @property
    def is_segwit(self) -> bool:
        return bool(self._a.tx_flags[self.tx_id] & FLAG_SEGWIT)

    @property
    def fee(self) -> int | None:
        return _or_none(int(self._a.tx_fee[self.tx_id]))

    @property
    def input_value(self) -> int | None:
        return _or_none(int(self._a.tx_in_value[self.tx_id]))

    @property
    def output_value(self) -> int:
        return int(self._a.tx_out_value[self.tx_id])

    @property
    def n_inputs(self) -> int:
        return int(self._a.tx_n_in[self.tx_id])

    @property
    def n_outputs(self) -> int:
        return int(self._a.tx_n_out[self.tx_id])

    @property
    def inputs(self) -> list[TxInput]:
        first = int(self._a.tx_first_in[self.tx_id])
        return [TxInput(self._chain, first + k) for k in range(self.n_inputs)]

    @property
    def outputs(self) -> list[TxOutput]:
        first = int(self._a.tx_first_out[self.tx_id])
        return [TxOutput(self._chain, first + k) for k in range(self.n_outputs)]

    @property
    def block(self) -> Block | None:
        h = self.height
        return None if h is None else self._chain.block(h)

    def spending_txs(self) -> list[Tx]:
        """The transactions that spent this one's outputs, in chain order."""
        a = self._a
        first = int(a.tx_first_out[self.tx_id])
        spent_by = np.asarray(a.out_spent_by[first:first + self.n_outputs])
        ids = sorted({int(a.in_tx[i]) for i in spent_by if i >= 0})
        return [Tx(self._chain, t) for t in ids]

    def row(self) -> dict[str, Any]:
        """Every column of the txs view for this transaction (one SQL lookup by id)."""
        return self._chain.sql("SELECT * FROM txs WHERE tx_id = ?", params=[self.tx_id]).to_dicts()[0]

    def to_dict(self) -> dict[str, Any]:
        d = self.row()
        d["inputs"] = [i.to_dict() for i in self.inputs]
        d["outputs"] = [o.to_dict() for o in self.outputs]
        return d

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tx) and other.tx_id == self.tx_id and other._chain is self._chain

    def __hash__(self) -> int:
        return hash(("tx", self.tx_id))

    def __repr__(self) -> str:
        h = self.height
        where = f"height {h}" if h is not None else "height unknown"
        kind = "coinbase, " if self.is_coinbase else ""
        return (f"<Tx {self.txid} {where}, {kind}{self.n_inputs} in -> {self.n_outputs} out, "
                f"{_btc(self.output_value)}, fee {_btc(self.fee)}>")

    def _repr_html_(self) -> str:
        head = _html_table(f"transaction {self.txid}", [
            ("height", self.height), ("fee", _btc(self.fee)), ("vsize", self.vsize),
            ("input value", _btc(self.input_value)), ("output value", _btc(self.output_value))])
        ins = "".join(f"<tr><td>{i.vin}</td><td>{i.address}</td><td>{_btc(i.value)}</td></tr>"
                      for i in self.inputs[:50])
        outs = "".join(f"<tr><td>{o.vout}</td><td>{o.address}</td><td>{_btc(o.value)}</td>"
                       f"<td>{'spent' if o.spent_by is not None else 'unspent'}</td></tr>"
                       for o in self.outputs[:50])
        return (head + "<b>inputs</b><table><tr><th>vin</th><th>address</th><th>value</th></tr>"
                + ins + "</table><b>outputs</b><table><tr><th>vout</th><th>address</th><th>value</th>"
                "<th>state</th></tr>" + outs + "</table>")


class TxOutput:
    """An output of the store, by output_id."""

    __slots__ = ("_chain", "output_id")

    def __init__(self, chain: Chain, output_id: int):
        self._chain = chain
        self.output_id = int(output_id)

    @property
    def _a(self):
        return self._chain._arrays

    @property
    def tx(self) -> Tx:
        return Tx(self._chain, int(self._a.out_tx[self.output_id]))

    @property
    def vout(self) -> int:
        return self.output_id - int(self._a.tx_first_out[self._a.out_tx[self.output_id]])

    @property
    def value(self) -> int:
        return int(self._a.out_value[self.output_id])

    @property
    def script_type(self) -> str:
        return st.NAMES[int(self._a.out_type[self.output_id])]

    @property
    def address_id(self) -> int | None:
        return _or_none(int(self._a.out_address[self.output_id]))

    @property
    def address(self) -> str | None:
        aid = self.address_id
        return None if aid is None else self._a.address_text(aid)

    @property
    def spent_by(self) -> TxInput | None:
        i = int(self._a.out_spent_by[self.output_id])
        return TxInput(self._chain, i) if 0 <= i < self._chain._arrays.counts["inputs"] else None

    @property
    def is_spent(self) -> bool:
        return self.spent_by is not None

    def to_dict(self) -> dict[str, Any]:
        s = self.spent_by
        return {"output_id": self.output_id, "vout": self.vout, "value": self.value,
                "script_type": self.script_type, "address": self.address,
                "spending_input_id": None if s is None else s.input_id,
                "spending_txid": None if s is None else s.tx.txid}

    def __repr__(self) -> str:
        state = "spent" if self.is_spent else "unspent"
        return f"<TxOutput {self.tx.txid}:{self.vout} {_btc(self.value)} {self.script_type} {self.address} {state}>"


class TxInput:
    """An input of the store, by input_id."""

    __slots__ = ("_chain", "input_id")

    def __init__(self, chain: Chain, input_id: int):
        self._chain = chain
        self.input_id = int(input_id)

    @property
    def _a(self):
        return self._chain._arrays

    @property
    def tx(self) -> Tx:
        return Tx(self._chain, int(self._a.in_tx[self.input_id]))

    @property
    def vin(self) -> int:
        return self.input_id - int(self._a.tx_first_in[self._a.in_tx[self.input_id]])

    @property
    def sequence(self) -> int:
        return int(self._a.in_sequence[self.input_id])

    @property
    def spent_output(self) -> TxOutput | None:
        o = int(self._a.in_spent[self.input_id])
        return None if o < 0 else TxOutput(self._chain, o)

    @property
    def value(self) -> int | None:
        o = self.spent_output
        return None if o is None else o.value

    @property
    def address(self) -> str | None:
        o = self.spent_output
        return None if o is None else o.address

    @property
    def script_type(self) -> str | None:
        o = self.spent_output
        return None if o is None else o.script_type

    def to_dict(self) -> dict[str, Any]:
        o = self.spent_output
        return {"input_id": self.input_id, "vin": self.vin, "sequence": self.sequence,
                "spent_output_id": None if o is None else o.output_id,
                "prev_txid": None if o is None else o.tx.txid, "prev_vout": None if o is None else o.vout,
                "value": self.value, "address": self.address, "script_type": self.script_type}

    def __repr__(self) -> str:
        o = self.spent_output
        src = "coinbase" if self.tx.is_coinbase else ("unresolved" if o is None else
                                                       f"{o.tx.txid}:{o.vout} {_btc(o.value)} {o.address}")
        return f"<TxInput {self.tx.txid}:{self.vin} <- {src}>"


class Address:
    """An address of the store and its history, from its outputs (and their spends)."""

    __slots__ = ("_chain", "address_id", "address", "__dict__")

    def __init__(self, chain: Chain, address_id: int, address: str):
        self._chain = chain
        self.address_id = int(address_id)
        self.address = address

    @property
    def _a(self):
        return self._chain._arrays

    @cached_property
    def output_ids(self) -> np.ndarray:
        a = self._a
        return np.asarray(a.ao_ids[int(a.ao_start[self.address_id]):int(a.ao_start[self.address_id + 1])])

    @cached_property
    def _spent_by(self) -> np.ndarray:
        sb = np.asarray(self._a.out_spent_by)[self.output_ids]
        return np.where(sb < self._a.counts["inputs"], sb, -1)

    @property
    def script_type(self) -> str:
        return st.NAMES[int(self._a.addr_type[self.address_id])]

    @property
    def received(self) -> int:
        return int(np.asarray(self._a.out_value)[self.output_ids].sum())

    @property
    def sent(self) -> int:
        values = np.asarray(self._a.out_value)[self.output_ids]
        return int(values[self._spent_by >= 0].sum())

    @property
    def balance(self) -> int:
        return self.received - self.sent

    @property
    def n_outputs(self) -> int:
        return int(len(self.output_ids))

    @property
    def n_unspent(self) -> int:
        return int((self._spent_by < 0).sum())

    @cached_property
    def tx_ids(self) -> np.ndarray:
        """Every transaction paying to or spending from the address, in chain order."""
        a = self._a
        paying = np.asarray(a.out_tx)[self.output_ids]
        spending = np.asarray(a.in_tx)[self._spent_by[self._spent_by >= 0]]
        return np.unique(np.concatenate([paying, spending]))

    @property
    def n_txs(self) -> int:
        return int(len(self.tx_ids))

    @property
    def first_height(self) -> int | None:
        return _or_none(int(self._a.addr_first_height[self.address_id]))

    @property
    def last_height(self) -> int | None:
        h = np.asarray(self._a.tx_height)[self.tx_ids]
        return _or_none(int(h.max())) if len(h) else None

    def outputs(self) -> list[TxOutput]:
        return [TxOutput(self._chain, o) for o in self.output_ids]

    def txs(self) -> duckdb.DuckDBPyRelation:
        """The address's transactions as a relation (`.df()`, `.pl()`, `.arrow()`)."""
        ids = self.tx_ids.tolist()
        return self._chain.sql("SELECT * FROM txs WHERE tx_id IN (SELECT unnest(?::BIGINT[])) ORDER BY tx_id",
                               params=[ids])

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "address_id": self.address_id, "script_type": self.script_type,
                "balance": self.balance, "received": self.received, "sent": self.sent,
                "n_outputs": self.n_outputs, "n_unspent": self.n_unspent,
                "n_inputs": int((self._spent_by >= 0).sum()), "n_txs": self.n_txs,
                "first_height": self.first_height, "last_height": self.last_height}

    def __repr__(self) -> str:
        return (f"<Address {self.address} balance {_btc(self.balance)}, received {_btc(self.received)} "
                f"in {self.n_outputs} outputs, {self.n_txs} txs>")

    def _repr_html_(self) -> str:
        d = self.to_dict()
        return _html_table(f"address {self.address}", [
            ("type", d["script_type"]), ("balance", _btc(d["balance"])), ("received", _btc(d["received"])),
            ("sent", _btc(d["sent"])), ("transactions", d["n_txs"]),
            ("first / last height", f"{d['first_height']} / {d['last_height']}")])


class Block:
    """A block of the store's views (its row of the blocks view)."""

    __slots__ = ("_chain", "_row")

    def __init__(self, chain: Chain, row: dict[str, Any]):
        self._chain = chain
        self._row = row

    def __getattr__(self, name: str) -> Any:
        try:
            return self._row[name]
        except KeyError:
            raise AttributeError(name) from None

    def txs(self) -> list[Tx]:
        """The block's transactions, in block order."""
        first = self._row["first_tx_id"]
        return [Tx(self._chain, first + k) for k in range(self._row["n_tx"])]

    def to_dict(self) -> dict[str, Any]:
        d = dict(self._row)
        d["txids"] = [t.txid for t in self.txs()]
        return d

    def __repr__(self) -> str:
        r = self._row
        return f"<Block {r['height']} {r['hash']} {r['n_tx']} txs>"
