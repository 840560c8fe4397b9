"""Address strings to the store's address ids, through the index's hash lookup."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from chaintrail.store.index_build import lookup_addresses
from chaintrail.store.string_hash_kernels import hash_string_array


def address_ids(arrays, addresses: list[str] | pa.Array) -> np.ndarray:
    """address_id of each address string, -1 where the store has no such address."""
    arr = addresses if isinstance(addresses, (pa.Array, pa.ChunkedArray)) else pa.array(addresses, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if len(arr) == 0:
        return np.zeros(0, np.int64)
    ha, hb = hash_string_array(arr)
    return lookup_addresses(ha, hb, np.asarray(arrays.addr_key), np.asarray(arrays.addr_key2),
                            np.asarray(arrays.addr_id))
