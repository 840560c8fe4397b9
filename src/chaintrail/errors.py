"""Errors with one-line messages that name the file, block or field at fault.

The CLI prints ``str(error)`` on one line and exits non-zero; nothing else
is needed to explain what went wrong.
"""

from __future__ import annotations


class ChaintrailError(Exception):
    """Base class: a failure with a one-line, user-facing cause."""

    exit_code = 1


class DecodeError(ChaintrailError, ValueError):
    """Bytes that are not a valid transaction, block or script encoding."""


class AddressError(ChaintrailError, ValueError):
    """A string that is not a valid address for the expected network."""


class SourceError(ChaintrailError):
    """A block source (file, directory, RPC or Esplora server) cannot be read."""


class NetworkMismatchError(ChaintrailError):
    """Blocks of one network offered to a store of another."""


class InvalidBlockError(ChaintrailError):
    """A block that fails validation (merkle root, witness commitment, proof of work)."""


class StoreError(ChaintrailError):
    """A store that is missing, locked, or inconsistent."""


class NotFoundError(ChaintrailError):
    """A block, transaction or address that is not in the store."""
