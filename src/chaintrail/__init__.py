"""chaintrail: open, explainable Bitcoin forensics and compliance.

    import chaintrail as ct
    chain = ct.open("./data")
"""

from chaintrail._numba_cache import guard_numba_cache

guard_numba_cache()

from chaintrail.chain import Chain, open  # noqa: E402 - after the cache guard

__all__ = ["Chain", "open"]
__version__ = "0.1.0"
