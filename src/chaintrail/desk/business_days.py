"""US federal business days, for OFAC's reporting deadline (a blocked
property report within 10 business days: OFAC FAQ 646, 31 CFR 501.603).

Holidays are the eleven federal holidays of 5 U.S.C. 6103 (Juneteenth from
2021), moved to the Friday before or Monday after when they fall on a
weekend."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    d = dt.date(year, month, 1)
    d += dt.timedelta(days=(weekday - d.weekday()) % 7)
    return d + dt.timedelta(weeks=n - 1)


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    d = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return d - dt.timedelta(days=(d.weekday() - weekday) % 7)


def _observed(d: dt.date) -> dt.date:
    if d.weekday() == 5:
        return d - dt.timedelta(days=1)
    if d.weekday() == 6:
        return d + dt.timedelta(days=1)
    return d


@lru_cache(maxsize=64)
def us_federal_holidays(year: int) -> frozenset[dt.date]:
    """The observed US federal holidays of a year."""
    fixed = [dt.date(year, 1, 1), dt.date(year, 7, 4), dt.date(year, 11, 11), dt.date(year, 12, 25)]
    if year >= 2021:
        fixed.append(dt.date(year, 6, 19))
    days = {_observed(d) for d in fixed}
    days |= {_nth_weekday(year, 1, 0, 3), _nth_weekday(year, 2, 0, 3), _last_weekday(year, 5, 0),
             _nth_weekday(year, 9, 0, 1), _nth_weekday(year, 10, 0, 2), _nth_weekday(year, 11, 3, 4)}
    return frozenset(days)


def is_business_day(d: dt.date) -> bool:
    """A weekday that is not an observed US federal holiday."""
    return d.weekday() < 5 and d not in us_federal_holidays(d.year) \
        and d not in us_federal_holidays(d.year + 1)  # Jan 1 observed on Dec 31


def add_business_days(start: dt.date, n: int) -> dt.date:
    """The date n business days after start (start itself not counted)."""
    d = start
    while n > 0:
        d += dt.timedelta(days=1)
        if is_business_day(d):
            n -= 1
    return d
