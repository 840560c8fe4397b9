"""Arrow schemas of the store's Parquet files: the column names of design.md's
store contract, plus a few extra columns (kept at the end) that analyses and
ingest need.

Hashes are stored as 32 raw bytes in display order (half the size of hex,
and no compression needed); the SQL views show them as lowercase hex.
Integer columns are delta-encoded, which shrinks sequential ids to almost
nothing without a general-purpose codec doing the work."""

from __future__ import annotations

import pyarrow as pa

from chaintrail.store.manifest import SCHEMA_VERSION  # noqa: F401 - re-exported

HASH = pa.binary(32)

BLOCKS = pa.schema([
    ("height", pa.int64()),
    ("hash", HASH),
    ("prev_hash", HASH),
    ("version", pa.int32()),
    ("merkle_root", HASH),
    ("time", pa.int64()),
    ("bits", pa.int64()),
    ("nonce", pa.int64()),
    ("n_tx", pa.int64()),
    ("size", pa.int64()),
    ("stripped_size", pa.int64()),
    ("weight", pa.int64()),
    ("first_tx_id", pa.int64()),
    # extras
    ("first_output_id", pa.int64()),
    ("first_input_id", pa.int64()),
    ("n_outputs", pa.int64()),
    ("n_inputs", pa.int64()),
    ("output_value", pa.int64()),
    ("chain_seq", pa.int64()),  # position in the store's applied order
])

TXS = pa.schema([
    ("tx_id", pa.int64()),
    ("txid", HASH),
    ("wtxid", HASH),
    ("height", pa.int64()),
    ("block_pos", pa.int64()),
    ("version", pa.int32()),
    ("locktime", pa.int64()),
    ("size", pa.int64()),
    ("vsize", pa.int64()),
    ("weight", pa.int64()),
    ("is_coinbase", pa.bool_()),
    ("is_segwit", pa.bool_()),
    ("n_inputs", pa.int64()),
    ("n_outputs", pa.int64()),
    ("input_value", pa.int64()),
    ("output_value", pa.int64()),
    ("fee", pa.int64()),
    # extras
    ("first_input_id", pa.int64()),
    ("first_output_id", pa.int64()),
    ("time", pa.int64()),
])

SCRIPT_TYPE = pa.dictionary(pa.int8(), pa.string())

OUTPUTS = pa.schema([
    ("output_id", pa.int64()),
    ("tx_id", pa.int64()),
    ("txid", HASH),
    ("vout", pa.int64()),
    ("value", pa.int64()),
    ("script_type", SCRIPT_TYPE),
    ("address", pa.string()),
    # extras
    ("height", pa.int64()),
    ("script", pa.binary()),  # kept only for op_return, multisig and nonstandard scripts
    # who spent the output, as of the segment's `spends_upto` (later spends: see views.py)
    ("spending_tx_id", pa.int64()),
    ("spending_input_id", pa.int64()),
])

INPUTS = pa.schema([
    ("input_id", pa.int64()),
    ("tx_id", pa.int64()),
    ("txid", HASH),
    ("vin", pa.int64()),
    ("prev_txid", HASH),
    ("prev_vout", pa.int64()),
    ("spent_output_id", pa.int64()),
    ("value", pa.int64()),
    ("address", pa.string()),
    ("script_type", SCRIPT_TYPE),
    ("sequence", pa.int64()),
    # extras
    ("height", pa.int64()),
])

ADDRESSES = pa.schema([
    ("address_id", pa.int64()),
    ("address", pa.string()),
    ("script_type", pa.string()),
    ("first_height", pa.int64()),
    ("first_output_id", pa.int64()),
])

TABLES: dict[str, pa.Schema] = {
    "blocks": BLOCKS, "txs": TXS, "outputs": OUTPUTS, "inputs": INPUTS, "addresses": ADDRESSES,
}

#: the id column that orders each table's rows and splits it into segments
ID_COLUMN = {
    "blocks": "chain_seq", "txs": "tx_id", "outputs": "output_id", "inputs": "input_id",
    "addresses": "address_id",
}

#: hash columns, shown as hex by the views
HASH_COLUMNS = {"hash", "prev_hash", "merkle_root", "txid", "wtxid", "prev_txid"}

#: the only columns worth a dictionary (few distinct values)
DICTIONARY = {"script_type", "version"}

#: columns with min/max statistics (they prune row groups in id and height lookups)
STATISTICS = ["tx_id", "output_id", "input_id", "address_id", "chain_seq", "height",
              "first_height", "first_output_id", "spent_output_id", "spending_input_id"]
