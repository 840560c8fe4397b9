"""Reading a file of addresses, one a line, into an Arrow string array
(Arrow's multithreaded CSV reader, one column, no quoting), with
whitespace trimmed and blank lines and ``#`` comments skipped."""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chaintrail.errors import ChaintrailError


def read_address_file(path: str) -> pa.Array:
    """Addresses of a file, one a line (blank lines and '#' comments skipped)."""
    try:
        if os.path.getsize(path) == 0:
            return pa.array([], pa.string())
        t = pacsv.read_csv(path, read_options=pacsv.ReadOptions(column_names=["address"]),
                           parse_options=pacsv.ParseOptions(delimiter="\x1f", quote_char=False),
                           convert_options=pacsv.ConvertOptions(column_types={"address": pa.string()}))
    except (OSError, pa.ArrowInvalid) as exc:
        raise ChaintrailError(f"{path}: cannot read: {str(exc).splitlines()[0]}") from None
    col = pc.utf8_trim_whitespace(t.column("address").combine_chunks())
    keep = pc.and_(pc.invert(pc.starts_with(col, "#")), pc.not_equal(col, ""))
    return col.filter(pc.fill_null(keep, False))
