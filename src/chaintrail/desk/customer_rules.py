"""Sanctions rules on customers: the EU's Russia rule (Reg. 833/2014 Art.
5b) as dated versions, whose action is offboarding, and targeted freezes,
which only listed persons or a court order justify. A blanket freeze by
nationality or residence is refused. Sources: compliance.md s.1."""

from __future__ import annotations

import datetime as dt

from chaintrail.desk.business_days import add_business_days
from chaintrail.desk.facts import CustomerFacts, FreezeOrder
from chaintrail.desk.jurisdictions import EU_EEA_CH
from chaintrail.desk.rules import (
    ALLOW,
    HOLD,
    NOT_APPLICABLE,
    OFFBOARD,
    REFUSE,
    Finding,
    RuleVersion,
    Verdict,
    version_on,
)

THRESHOLD_EUR = 10_000
RU = "RU"

ART5B_V1 = RuleVersion(
    "eu-833-5b", "2022-04-08",
    "no crypto-asset wallet, account or custody services for Russian nationals, residents or "
    "entities holding more than EUR 10,000",
    "Council Reg. (EU) 833/2014 Art. 5b(2) as amended by Reg. (EU) 2022/576 of 8 Apr 2022; "
    "exemption Art. 5b(3); Commission FAQ of 21 Mar 2023 (no freezing foreseen)",
    dt.date(2022, 4, 8), dt.date(2022, 10, 5))
ART5B_V2 = RuleVersion(
    "eu-833-5b", "2022-10-06",
    "no crypto-asset wallet, account or custody services for Russian nationals, residents or "
    "entities, whatever the amount",
    "Council Reg. (EU) 833/2014 Art. 5b(2) as amended by the 8th package of 6 Oct 2022 "
    "(Reg. (EU) 2022/1904 [OJ number unverified]); exemption Art. 5b(3); Commission FAQ of "
    "21 Mar 2023", dt.date(2022, 10, 6))
ART5B = (ART5B_V1, ART5B_V2)

TARGETED_FREEZE = RuleVersion(
    "targeted-freeze", "2014-03-17",
    "freezes only for listed persons or on a court order; never by nationality",
    "Council Reg. (EU) 269/2014 (freezes apply to persons listed in Annex I); Reg. 833/2014 "
    "Art. 5b with the Commission FAQ of 21 Mar 2023 (no freezing foreseen); OFAC FAQ 646 "
    "(block listed persons' wallets, report within 10 business days)",
    dt.date(2014, 3, 17))

OFAC_REPORT_BUSINESS_DAYS = 10


def russia_link(c: CustomerFacts) -> str | None:
    """Why the customer falls under Art. 5b's persons (None when they do not)."""
    if c.customer_type == "business":
        if (c.country or c.residence or "").upper() == RU:
            return "an entity established in Russia"
        return None
    if RU in c.nationalities:
        return "a Russian national"
    if (c.residence or "").upper() == RU:
        return "a resident of Russia"
    return None


def art5b_exemption(c: CustomerFacts) -> str | None:
    """The Art. 5b(3) exemption that applies to a natural person, if any."""
    if c.customer_type == "business":
        return None
    eu_nat = [n for n in c.nationalities if n in EU_EEA_CH]
    if eu_nat:
        return f"also a national of {', '.join(eu_nat)} (EU/EEA/Swiss)"
    permits = [p for p in c.residence_permits if p in EU_EEA_CH]
    if permits:
        return f"holds a residence permit in {', '.join(permits)}"
    return None


def check_art5b(c: CustomerFacts, on: dt.date) -> Finding:
    """The Art. 5b version in force on the date, applied to one customer."""
    v = version_on(ART5B, on)
    if v is None:
        return Finding("eu-833-5b", "-", NOT_APPLICABLE,
                       f"no Art. 5b crypto-asset restriction was in force on {on} (from 2022-04-08)",
                       ART5B_V1.source, ART5B_V1.effective_from, None)
    link = russia_link(c)
    if link is None:
        return Finding.of(v, NOT_APPLICABLE, f"{c.ref} is neither a Russian national, a resident of "
                          "Russia, nor an entity established there")
    exempt = art5b_exemption(c)
    if exempt:
        return Finding.of(v, ALLOW, f"{c.ref} is {link} but {exempt}: exempt under Art. 5b(3)")
    if v is ART5B_V1:
        if c.holdings_eur is None:
            return Finding.of(v, HOLD, f"{c.ref} is {link}; the EUR {THRESHOLD_EUR:,} threshold in "
                              f"force on {on} cannot be checked without the value of their "
                              "crypto-assets")
        if c.holdings_eur <= THRESHOLD_EUR:
            return Finding.of(v, ALLOW, f"{c.ref} is {link} holding EUR {c.holdings_eur:,.0f}, not "
                              f"above the EUR {THRESHOLD_EUR:,} threshold in force on {on}")
        amount = f"holding EUR {c.holdings_eur:,.0f}, above EUR {THRESHOLD_EUR:,}"
    else:
        amount = "(the threshold was removed on 2022-10-06)"
    return Finding.of(v, OFFBOARD, f"{c.ref} is {link} {amount}: offboard (close the accounts and "
                      "return the assets, or convert them to fiat up to the deposit cap); no "
                      "freezing is foreseen under this article")


def evaluate_customer(c: CustomerFacts, on: dt.date) -> Verdict:
    """The customer rules on a date, as a verdict (offboard, hold, allow or not applicable)."""
    return Verdict.of([check_art5b(c, on)], on)


def evaluate_freeze(order: FreezeOrder, on: dt.date) -> Verdict:
    """Whether a freeze may be applied: targeted and justified, never blanket."""
    v = TARGETED_FREEZE
    if order.selector:
        what = ", ".join(f"{k} = {val}" for k, val in sorted(order.selector.items()))
        f = Finding.of(v, REFUSE, f"a blanket freeze of every customer with {what} is refused: freezes "
                       "apply only to listed persons (Reg. 269/2014 Annex I) or on a court order, and "
                       "the Russia rule of Art. 5b foresees offboarding, not freezing")
    elif not order.customers:
        f = Finding.of(v, REFUSE, "a freeze must name the customers it applies to")
    elif order.basis_kind == "court_order":
        if (order.court_order or "").strip():
            f = Finding.of(v, ALLOW, f"court order {order.court_order}")
        else:
            f = Finding.of(v, HOLD, "a freeze on a court order needs the order's reference")
    elif order.basis_kind == "listed_person":
        if not order.list_entry:
            f = Finding.of(v, HOLD, "name the list entry the customer matches (e.g. an SDN entry)")
        elif not order.confirmed_match:
            f = Finding.of(v, HOLD, f"the match with {order.list_name or 'the list'} entry "
                           f"{order.list_entry} is not confirmed yet: a reviewer must confirm it")
        else:
            due = add_business_days(on, OFAC_REPORT_BUSINESS_DAYS)
            extra = (f"; report to OFAC by {due} ({OFAC_REPORT_BUSINESS_DAYS} business days), then "
                     "annually" if (order.list_name or "").startswith("ofac") else "")
            f = Finding.of(v, ALLOW, f"the customer is the listed person of {order.list_name} entry "
                           f"{order.list_entry} (match confirmed){extra}")
    else:
        f = Finding.of(v, REFUSE, f"unknown freeze basis {order.basis_kind!r}: a freeze needs a "
                       "listed person or a court order")
    return Verdict.of([f], on)


def ofac_report_due(frozen_on: dt.date) -> dt.date:
    """The date OFAC's report on blocked property is due (10 business days)."""
    return add_business_days(frozen_on, OFAC_REPORT_BUSINESS_DAYS)
