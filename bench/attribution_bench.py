"""Issue 5's figures: TagPack import time, batch address screening rate
from a file, single-screen latency, and name screening rate with its
precision and recall on the labelled set built from the SDN names."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from bench.harness import ROOT, median, run_measured

SHARED = ROOT.parent / "shared" / "data"
TAGPACKS = SHARED / "tags" / "graphsense-tagpacks"
SDN_CSV = SHARED / "sanctions" / "ofac-sdn-csv" / "sdn.csv"
XBT = SHARED / "sanctions" / "ofac-0xB10C" / "sanctioned_addresses_XBT.txt"
BUILTIN = ROOT / "src" / "chaintrail" / "data" / "mainnet-0-599"


def _timed(cmd: list[str], ok: tuple[int, ...]) -> float:
    """Wall time of a command whose exit status may be one of ok (screening exits 1 on a hit)."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    dt_s = time.perf_counter() - t0
    if p.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    return dt_s


def _random_addresses(n: int, seed: int = 11) -> pa.Array:
    """n valid mainnet addresses of random payloads (P2PKH, P2SH, P2WPKH, P2TR)."""
    from chaintrail.bitcoin import script_types as st
    from chaintrail.bitcoin.address_kernels import encode_addresses_arrow
    from chaintrail.bitcoin.networks import MAINNET

    rng = np.random.default_rng(seed)
    kinds = np.array([st.P2PKH, st.P2SH, st.P2WPKH, st.P2TR], np.int8)
    stype = kinds[rng.integers(0, 4, n)]
    plen = np.where(stype == st.P2TR, 32, 20).astype(np.int16)
    wver = np.where(stype == st.P2TR, 1, 0).astype(np.int8)
    payload = rng.integers(0, 256, (n, 40), dtype=np.uint8)
    return encode_addresses_arrow(stype, wver, plen, payload, MAINNET)


def _address_file(path: Path, chain, n: int) -> dict:
    """A file of n addresses: 98% unlisted, 1.5% tagged, 0.4% sanctioned, 0.1% invalid."""
    rng = np.random.default_rng(5)
    tagged = [a for (a,) in chain.sql(f"SELECT address FROM tags USING SAMPLE reservoir({int(n * 0.015)} ROWS) REPEATABLE (42)").fetchall()]
    listed = [a for (a,) in chain.sql("SELECT address FROM sanctions WHERE valid").fetchall()]
    listed = list(rng.choice(listed, int(n * 0.004)))
    invalid = ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"] * int(n * 0.001)
    rest = _random_addresses(n - len(tagged) - len(listed) - len(invalid)).to_pylist()
    lines = rest + tagged + listed + invalid
    order = rng.permutation(len(lines))
    path.write_text("\n".join(lines[i] for i in order) + "\n")
    return {"addresses": len(lines), "tagged": len(tagged), "sanctioned": len(listed),
            "invalid": len(invalid)}


def run(results, work: Path, quick: bool = False, repeats: int | None = None) -> None:
    if not TAGPACKS.exists() or not SDN_CSV.exists():
        print(f"attribution bench skipped: {SHARED} is absent", file=sys.stderr)
        return
    from chaintrail.attribution.name_eval import evaluate, labelled_set
    from chaintrail.attribution.name_screening import DEFAULT_THRESHOLD, NameIndex
    from chaintrail.attribution.screening import Screener, read_address_file
    from chaintrail.attribution.service import import_sanctions
    from chaintrail.attribution.tagpacks import parse_tagpacks, tag_files
    from chaintrail.chain import open as open_chain

    reps = repeats or (1 if quick else 3)
    n_batch = 200_000 if quick else 2_000_000
    store = work / "attr-store"
    run_measured([sys.executable, "-m", "chaintrail", "ingest", str(BUILTIN), "--store", str(store),
                  "--json"])

    # import of every TagPack: the whole command, as a user runs it, and the parse alone
    # (a small import first, so that no measured run pays numba's one-time compilation)
    run_measured([sys.executable, "-m", "chaintrail", "tags", "import", str(TAGPACKS / "packs" / "demo.yaml"),
                  "--store", str(work / "warm-store"), "--json"])
    cli_runs = []
    for _ in range(reps):
        r = run_measured([sys.executable, "-m", "chaintrail", "tags", "import", str(TAGPACKS / "packs"),
                          str(TAGPACKS / "actors"), "--store", str(store), "--json"])
        cli_runs.append({"wall_s": r.seconds, "peak_rss_mb": r.peak_rss_mb,
                         "imported": json.loads(r.stdout)["imported"]})
    parse_s = []
    for _ in range(reps):
        t0 = time.perf_counter()
        tags, _, rep = parse_tagpacks(tag_files([TAGPACKS / "packs", TAGPACKS / "actors"]))
        parse_s.append(time.perf_counter() - t0)
    import_sanctions(store, SDN_CSV, list_date=dt.date(2024, 5, 3))
    import_sanctions(store, XBT, list_name="ofac-sdn", list_date=dt.date(2024, 9, 27))

    # batch screening from a file
    chain = open_chain(store)
    batch_file = work / "addresses.txt"
    mix = _address_file(batch_file, chain, n_batch)
    Screener(chain).screen_batch(read_address_file(str(batch_file))[:1000])  # load the kernels
    batch = []
    for _ in range(reps):
        t0 = time.perf_counter()
        outcome = Screener(open_chain(store)).screen_batch(read_address_file(str(batch_file)))
        batch.append(time.perf_counter() - t0)
    counts = outcome.counts()
    rate = mix["addresses"] / median(batch)
    cli_batch = _timed([sys.executable, "-m", "chaintrail", "screen", "--file", str(batch_file),
                        "--store", str(store), "--json"], ok=(0, 1))

    # one address, in process (store open) and as a command
    sample = "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"
    Screener(chain).screen([sample])
    single, opened = [], []
    for _ in range(max(reps, 5) * 4):
        t0 = time.perf_counter()
        c = open_chain(store)
        t1 = time.perf_counter()
        Screener(c).screen([sample])
        t2 = time.perf_counter()
        single.append(t2 - t1)
        opened.append(t2 - t0)
        c.close()
    cli_single = [_timed([sys.executable, "-m", "chaintrail", "screen", sample, "--store", str(store)],
                         ok=(1,)) for _ in range(reps)]
    # the everyday case: an address on chain that nothing lists or tags
    clean = chain.sql("""SELECT address FROM addresses WHERE address NOT IN (SELECT address FROM tags
                         WHERE address IS NOT NULL) AND address NOT IN (SELECT address FROM sanctions_all)
                         ORDER BY address_id DESC LIMIT 1""").fetchall()[0][0]
    cli_clean = [_timed([sys.executable, "-m", "chaintrail", "screen", clean, "--store", str(store)],
                        ok=(0,)) for _ in range(max(reps, 5))]

    # name screening: rate over the labelled set, and its precision/recall
    from chaintrail.attribution.sdn_csv import parse_sdn_csv

    entries = parse_sdn_csv(SDN_CSV)
    cases = labelled_set(entries, n_per_kind=500)
    name_rates, scores = [], None
    for _ in range(reps):
        index = NameIndex(entries)
        t0 = time.perf_counter()
        scores = evaluate(index, cases, DEFAULT_THRESHOLD)
        name_rates.append(len(cases) / (time.perf_counter() - t0))

    figures = [
        {"name": "import all TagPacks (chaintrail tags import)",
         "value": f"{median([r['wall_s'] for r in cli_runs]):.1f} s ({cli_runs[0]['imported']:,} tags; "
                  f"parse {median(parse_s):.1f} s)", "target": "< 30 s"},
        {"name": "batch screening from a file",
         "value": f"{rate:,.0f} addresses/s ({mix['addresses']:,} addresses)",
         "target": ">= 1,000,000 addresses/s"},
        {"name": "single screen call (store open)", "value": f"{median(single) * 1000:.0f} ms "
         f"(with opening the store {median(opened) * 1000:.0f} ms)", "target": "< 200 ms"},
        {"name": "single `chaintrail screen` process, clean address", "value": f"{median(cli_clean) * 1000:.0f} ms",
         "target": "< 200 ms (interpreter included)"},
        {"name": "single `chaintrail screen` process, a hit (evidence gathered)",
         "value": f"{median(cli_single) * 1000:.0f} ms", "target": "< 200 ms (interpreter and imports included)"},
        {"name": "name screening rate", "value": f"{median(name_rates):,.0f} names/s",
         "target": ">= 500 names/s"},
        {"name": f"name screening precision / recall at {DEFAULT_THRESHOLD}",
         "value": f"{scores.precision:.3f} / {scores.recall:.3f}", "target": ">= 0.95 / >= 0.95"},
    ]
    results.put("attribution", {
        "figures": figures, "repeats": reps,
        "detail": {
            "tag_import_cli": cli_runs, "tag_parse_s": parse_s, "tags": rep.to_dict() | {"actors": rep.actors},
            "batch_mix": mix, "batch_s": batch, "batch_counts": counts,
            "batch_cli_wall_s": cli_batch,
            "single_screen_s": single, "open_and_screen_s": opened, "single_cli_s": cli_single, "clean_cli_s": cli_clean,
            "names_per_s": name_rates, "name_scores": scores.to_dict(),
            "tags_in_index": int(chain.sql("SELECT count(*) FROM tags").fetchall()[0][0]),
        },
    })
