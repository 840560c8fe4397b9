"""The console-script entry point. It answers the one command that must be
instant - `chaintrail screen ADDRESS...` of clean addresses, checked
against the screening snapshot, and of listed or tagged ones, read from the
snapshot's details - with the standard library (and Rich to print hits),
and hands everything else (cluster hits, invalid addresses, and every
screen it cannot settle) to the full CLI.
"""

from __future__ import annotations

import json
import mmap
import os
import sys
from bisect import bisect_left
from pathlib import Path

_FAIL_ON = ("any", "abuse", "sanctions")
_EMPTY = {"sanctions": [], "tags": [], "formerly_listed": []}


def _parse_screen(argv: list[str]) -> dict | None:
    """The options of a plain `screen ADDRESS...` call, or None for anything else."""
    if not argv or argv[0] != "screen":
        return None
    opts: dict = {"addresses": [], "store": None, "json": False, "fail_on": "any"}
    it = iter(argv[1:])
    for arg in it:
        if arg == "--json":
            opts["json"] = True
        elif arg in ("--store", "--fail-on"):
            value = next(it, None)
            if value is None:
                return None
            opts["store" if arg == "--store" else "fail_on"] = value
        elif arg.startswith("--store="):
            opts["store"] = arg.split("=", 1)[1]
        elif arg.startswith("--fail-on="):
            opts["fail_on"] = arg.split("=", 1)[1]
        elif arg.startswith("-"):
            return None  # --file, --help and anything else: the full command
        else:
            opts["addresses"].append(arg)
    if not opts["addresses"] or opts["fail_on"] not in _FAIL_ON:
        return None
    return opts


def _array(root: Path, spec: dict, code: str) -> memoryview:
    if spec["length"] == 0:
        return memoryview(b"").cast(code)
    with open(root / spec["file"], "rb") as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    return memoryview(m)[:spec["length"] * 8].cast(code)


def _int_array(root: Path, spec: dict) -> memoryview | list:
    """A memory-mapped little-endian integer array of 4 or 8 bytes an item."""
    code = {"<i8": "q", "<i4": "i", "<u4": "I", "<u8": "Q"}.get(spec["dtype"])
    if code is None:
        raise LookupError("unexpected array type")
    if spec["length"] == 0:
        return []
    with open(root / spec["file"], "rb") as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    return memoryview(m)[:spec["length"] * (8 if code in "qQ" else 4)].cast(code)


class _Clusters:
    """The cluster id of an address from the index lookups and the clustering's arrays."""

    def __init__(self, root: Path, manifest: dict):
        extra = manifest["extra"]
        index, clusters = extra.get("index"), extra["clusters"]
        if not index or any(index["upto"].get(k) != manifest["counts"].get(k)
                            for k in ("txs", "outputs", "inputs", "addresses", "blocks")):
            raise LookupError("index not current")
        look, arrays = index["lookups"], clusters["arrays"]
        for spec, want in ((look["addr_key"], "<u8"), (look["addr_key2"], "<u8"),
                           (look["addr_id"], "<i8")):
            if spec["dtype"] != want:
                raise LookupError("unexpected array type")
        self.key = _array(root, look["addr_key"], "Q")
        self.key2 = _array(root, look["addr_key2"], "Q")
        self.ids = _array(root, look["addr_id"], "q")
        # the clustering sizes its id arrays to the store (4 or 8 bytes)
        self.dense = _int_array(root, arrays["dense"])
        self.cluster_ids = _int_array(root, arrays["cluster_ids"])

    def of(self, ha: int, hb: int) -> int | None:
        """The cluster id, None for an address not on chain; LookupError when unsure."""
        k = bisect_left(self.key, ha)
        while k < len(self.key) and self.key[k] == ha:
            if self.key2[k] == hb:
                a = self.ids[k]
                if a >= len(self.dense):
                    raise LookupError("address newer than the clustering")
                return int(self.cluster_ids[self.dense[a]])
            k += 1
        return None


def _fast_screen(opts: dict) -> int | None:
    """The exit status, having printed what the full command prints; None when it cannot settle the call."""
    from chaintrail.attribution.screen_policy import is_hit
    from chaintrail.attribution.screen_snapshot import open_current, open_details, read_manifest
    from chaintrail.bitcoin.address import decode_address
    from chaintrail.bitcoin.networks import get_network
    from chaintrail.store.string_hash import string_hash_reference

    root = Path(opts["store"] or os.environ.get("CHAINTRAIL_STORE", "chaintrail-data"))
    try:
        manifest = read_manifest(root)
        attribution = manifest["extra"]["attribution"]
        network = get_network(manifest.get("network") or "mainnet")
    except Exception:  # noqa: BLE001 - the full command reports what is wrong
        return None
    if not attribution.get("sanction_versions"):
        return None  # the full command warns about screening against tags only
    snap = open_current(root, manifest)
    if snap is None:
        return None
    try:
        clusters = _Clusters(root, manifest) if manifest["extra"].get("clusters") else None
    except (LookupError, KeyError, OSError, ValueError):
        return None
    details = None
    results = []
    for address in opts["addresses"]:
        try:
            decode_address(address, network)
        except Exception:  # noqa: BLE001 - invalid: the full command gives the reason
            return None
        canonical = address.lower() if address.lower().startswith(network.hrp + "1") else address
        ha, hb = string_hash_reference(canonical)
        try:
            cid = clusters.of(ha, hb) if clusters else None
        except LookupError:
            return None
        own = _EMPTY
        if ha in snap:  # something to report: its own hits, or its cluster's
            details = details or open_details(root, manifest)
            own = details.direct(canonical) if details else None
            if own is None or (cid is not None and details.cluster_hit_by_other(cid, canonical)):
                return None  # a cluster hit: the full command gathers the merge evidence
        hits = [k for k in ("sanctions", "tags") if own[k]]
        results.append({"address": address, "status": "hit" if hits else "clean", "valid": True,
                        "error": None, "hits": ["sanctioned" if k == "sanctions" else "tagged" for k in hits],
                        "sanctions": own["sanctions"], "tags": own["tags"], "cluster_id": cid,
                        "cluster_sanctions": [], "cluster_tags": [], "formerly_listed": own["formerly_listed"]})
    rc = 1 if any(is_hit(r, opts["fail_on"]) for r in results) else 0
    if opts["json"]:
        sys.stdout.write(json.dumps({"exit_status": rc, "results": results}, indent=2) + "\n")
    elif all(r["status"] == "clean" and not r["formerly_listed"] for r in results):
        sys.stdout.write("".join(f"clean {r['address']}\n" for r in results))
    else:
        from chaintrail.cli.screen_output import print_screen

        print_screen(results, opts["fail_on"])
    return rc


def main() -> None:
    """Run `chaintrail`: the fast screen when it can settle the call, else the full CLI."""
    opts = _parse_screen(sys.argv[1:])
    if opts is not None:
        rc = _fast_screen(opts)
        if rc is not None:
            sys.stdout.flush()
            sys.exit(rc)
    from chaintrail.cli.main import main as full_main

    full_main()


if __name__ == "__main__":
    main()
