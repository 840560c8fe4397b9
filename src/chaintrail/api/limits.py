"""Limits on every list and budgets on every trace: the defaults and the
maxima a request may ask for, in one place (docs/web.md lists them)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Query

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
#: the largest offset a list accepts (deeper pages: narrow the query, or use SQL)
MAX_OFFSET = 10_000_000
#: inputs and outputs listed with one transaction (the rest: its /inputs, /outputs pages)
TX_IO_LIMIT = 100
#: addresses in one screening request
MAX_SCREEN = 10_000
#: addresses in one privacy audit
MAX_AUDIT_ADDRESSES = 100

#: trace work budget (inputs + outputs split; see docs/tracing.md): default and ceiling
TRACE_BUDGET = 2_000_000
MAX_TRACE_BUDGET = 5_000_000
MAX_TRACE_HOPS = 20
#: nodes of a flow graph returned (the heaviest are kept; `truncated` says so)
DEFAULT_GRAPH_NODES = 1000
MAX_GRAPH_NODES = 5000
MAX_EXPOSURE_HOPS = 10
MAX_AUDIT_HOPS = 6


@dataclass
class Page:
    """A requested window of a list."""

    limit: int
    offset: int

    def envelope(self, items: list, total: int | None) -> dict:
        """The JSON shape of every list: items, limit, offset, total and the next offset."""
        nxt = self.offset + len(items)
        more = (total is not None and nxt < total) or (total is None and len(items) == self.limit)
        return {"items": items, "limit": self.limit, "offset": self.offset, "total": total,
                "next_offset": nxt if more and nxt <= MAX_OFFSET else None}


def page(limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page."),
         offset: int = Query(0, ge=0, le=MAX_OFFSET, description="Items to skip.")) -> Page:
    """The `limit`/`offset` query parameters of a list endpoint."""
    return Page(limit, offset)
