"""How the pages and reports print values: BTC amounts, times, shortened
hashes, shares. Registered as Jinja2 filters."""

from __future__ import annotations

import datetime as dt

SAT = 100_000_000


def btc(sat: int | None, digits: int = 8) -> str:
    """Satoshis as BTC ("unknown" for NULL)."""
    if sat is None:
        return "unknown"
    return f"{sat / SAT:,.{digits}f} BTC"


def utc(ts: int | None) -> str:
    """A Unix time as an ISO date and time in UTC."""
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(int(ts), dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def short(text: str | None, keep: int = 10) -> str:
    """A long hash or address shortened in the middle."""
    if not text:
        return ""
    s = str(text)
    return s if len(s) <= 2 * keep + 3 else f"{s[:keep]}…{s[-keep:]}"


def pct(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{100 * x:.{digits}f}%"


def num(x: int | None) -> str:
    return "" if x is None else f"{int(x):,}"


FILTERS = {"btc": btc, "utc": utc, "short": short, "pct": pct, "num": num}
