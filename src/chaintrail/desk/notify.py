"""The notification decision after a production: tell the customer unless a
gag order or the ban on tipping off forbids it, and record why.

Sources: compliance.md s.3 (users are notified unless an order forbids it;
respect gag orders and the ban on tipping off the customer, AMLD4 Art. 39
and AMLR Art. 73); OFAC FAQ 647 (a blocked customer may be told)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

NOTIFY, WITHHOLD, DEFER = "notify", "withhold", "defer"


@dataclass(frozen=True)
class Notification:
    """Whether and when to tell a customer about a disclosure, and why."""

    decision: str
    reason: str
    not_before: dt.date | None = None


def decide(gag_order: bool, gag_until: dt.date | None, tipping_off: bool, on: dt.date) -> Notification:
    """The notification decision for a request's customers on a date."""
    if tipping_off:
        return Notification(WITHHOLD, "the request concerns a suspicion of money laundering or "
                            "terrorist financing: telling the customer would be tipping off "
                            "(Directive (EU) 2015/849 Art. 39; Reg. (EU) 2024/1624 Art. 73)")
    if gag_order and gag_until is None:
        return Notification(WITHHOLD, "a non-disclosure (gag) order without an end date forbids "
                            "telling the customer")
    if gag_order and gag_until is not None and gag_until >= on:
        return Notification(DEFER, f"a non-disclosure order forbids telling the customer until "
                            f"{gag_until}", gag_until + dt.timedelta(days=1))
    return Notification(NOTIFY, "no gag order or tipping-off ban applies: the customer is told "
                        "what was disclosed, to whom and on what legal basis")
