"""`chaintrail decode`: decode a raw transaction or block (file or hex) without a store."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import typer

from chaintrail.bitcoin.block import Block
from chaintrail.bitcoin.networks import MAINNET, get_network
from chaintrail.bitcoin.tx import Tx
from chaintrail.cli.output import console, kv_table, print_json, rows_table
from chaintrail.errors import DecodeError

_HEX = re.compile(r"^[0-9a-fA-F\s]+$")


def load_bytes(arg: str) -> tuple[bytes, str]:
    """Bytes from a hex string, a hex text file or a binary file; and a label for messages."""
    p = Path(arg)
    try:
        is_file = len(arg) < 4096 and p.is_file()
    except OSError:  # a long hex string is not a valid file name
        is_file = False
    if is_file:
        data = p.read_bytes()
        text = data.strip()
        if text and _HEX.match(text.decode("latin-1")):
            body = b"".join(text.split())
            if len(body) % 2:
                raise DecodeError(f"{arg}: hex text has an odd number of digits")
            return bytes.fromhex(body.decode()), arg
        if len(data) >= 8 and data[:4] in (bytes.fromhex(m) for m in ("f9beb4d9", "0b110907", "1c163f28", "0a03cf40", "fabfb5da")):
            n = int.from_bytes(data[4:8], "little")
            return data[8:8 + n], arg
        return data, arg
    s = "".join(arg.split())
    if not s or not _HEX.match(s):
        raise DecodeError(f"{arg[:40]!r}: neither a readable file nor hex")
    if len(s) % 2:
        raise DecodeError("hex input has an odd number of digits")
    return bytes.fromhex(s), "hex input"


def decode_any(data: bytes, label: str) -> Tx | Block:
    """A block if the bytes parse as one (header + transactions), else a transaction."""
    block_err = None
    if len(data) > 80:
        try:
            return Block.from_bytes(data)
        except DecodeError as exc:
            block_err = exc
    try:
        return Tx.from_bytes(data)
    except DecodeError as exc:
        reason = exc if block_err is None else f"as a block: {block_err}; as a transaction: {exc}"
        raise DecodeError(f"{label}: not a valid transaction or block ({reason})") from None


def register(app: typer.Typer) -> None:
    @app.command()
    def decode(data: str = typer.Argument(..., metavar="FILE|HEX"),
               network: Optional[str] = typer.Option(None, help="Network for addresses (default mainnet)."),
               json_out: bool = typer.Option(False, "--json", help="Bitcoin Core-style JSON.")) -> None:
        """Decode a raw transaction or block, like bitcoin-cli decoderawtransaction."""
        from chaintrail.bitcoin.decode_json import block_to_core_json, tx_to_core_json

        raw, label = load_bytes(data)
        net = get_network(network) if network else MAINNET
        obj = decode_any(raw, label)
        if isinstance(obj, Block):
            j = block_to_core_json(obj, net)
            if json_out:
                print_json(j)
                return
            kv_table(f"block {obj.hash}", [
                ("previous", j.get("previousblockhash")), ("merkle root", j["merkleroot"]),
                ("merkle ok", obj.computed_merkle_root() == obj.header.merkle_root),
                ("proof of work ok", obj.header.pow_ok()),
                ("witness commitment ok", obj.witness_commitment_ok()),
                ("time", j["time"]), ("bits", j["bits"]), ("transactions", len(obj.txs)),
                ("size / weight", f"{obj.size} / {obj.weight}"),
            ])
            rows_table(None, ["#", "txid", "inputs", "outputs", "value out (sat)"],
                       [(i, t.txid, len(t.inputs), len(t.outputs), sum(o.value for o in t.outputs))
                        for i, t in enumerate(obj.txs[:50])])
            return
        j = tx_to_core_json(obj, net)
        if json_out:
            print_json(j)
            return
        kv_table(f"transaction {j['txid']}", [
            ("wtxid", j["hash"]), ("size / vsize / weight", f"{j['size']} / {j['vsize']} / {j['weight']}"),
            ("version / locktime", f"{j['version']} / {j['locktime']}"),
        ])
        rows_table("inputs", ["vin", "previous output", "sequence"],
                   [(k, "coinbase" if "coinbase" in v else f"{v['txid']}:{v['vout']}", v["sequence"])
                    for k, v in enumerate(j["vin"])])
        rows_table("outputs", ["n", "value (BTC)", "type", "address"],
                   [(v["n"], v["value"], v["scriptPubKey"]["type"], v["scriptPubKey"].get("address"))
                    for v in j["vout"]])
        console.print()
