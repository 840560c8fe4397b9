"""chaintrail: open, explainable Bitcoin forensics and compliance.

    import chaintrail as ct
    chain = ct.open("./data")
"""

from typing import TYPE_CHECKING

from chaintrail._numba_cache import guard_numba_cache

guard_numba_cache()

if TYPE_CHECKING:
    from chaintrail.chain import Chain, open


def __getattr__(name: str):  # the command line imports only what a command needs
    if name in ("Chain", "open"):
        from chaintrail import chain

        return getattr(chain, name)
    raise AttributeError(name)

__all__ = ["Chain", "open"]
__version__ = "0.1.0"
