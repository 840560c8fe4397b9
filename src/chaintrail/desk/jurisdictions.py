"""Country groups the rules need: EU, EEA and Switzerland (the Art. 5b(3)
exemption and GDPR's third countries), and the jurisdictions under
sanctions whose authorities' requests the desk refuses, each with the
regime, its source and the date it took effect."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

EU = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})
EEA_NON_EU = frozenset({"IS", "LI", "NO"})
EU_EEA = EU | EEA_NON_EU
EU_EEA_CH = EU_EEA | {"CH"}


def codes(value: str | None) -> tuple[str, ...]:
    """ISO codes from a comma- or space-separated field ('RU, DE' -> ('RU', 'DE'))."""
    if not value:
        return ()
    return tuple(c.strip().upper() for c in value.replace(";", ",").replace(" ", ",").split(",")
                 if c.strip())


@dataclass(frozen=True)
class SanctionedJurisdiction:
    """A country whose authorities' requests are refused while its regime is in force."""

    country: str
    regime: str
    source: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    verified: bool = True  # False: the date is not confirmed in compliance.md's sources

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


#: Only Russia's measures are covered by compliance.md; the other regimes are the
#: comprehensive programmes commonly applied by EU and US firms, and their dates are
#: marked unverified until checked on EUR-Lex and ofac.treasury.gov.
SANCTIONED_JURISDICTIONS: tuple[SanctionedJurisdiction, ...] = (
    SanctionedJurisdiction("RU", "EU restrictive measures against Russia",
                           "Council Reg. (EU) 833/2014 (31 Jul 2014) and 269/2014 (17 Mar 2014); "
                           "compliance.md s.1", dt.date(2014, 7, 31)),
    SanctionedJurisdiction("BY", "EU restrictive measures against Belarus",
                           "Council Reg. (EC) 765/2006 (18 May 2006)", dt.date(2006, 5, 18)),
    SanctionedJurisdiction("KP", "US North Korea sanctions", "31 CFR Part 510 (OFAC)",
                           dt.date(2010, 11, 4), verified=False),
    SanctionedJurisdiction("IR", "US Iran sanctions", "31 CFR Part 560 (OFAC)",
                           dt.date(1995, 5, 6), verified=False),
    SanctionedJurisdiction("SY", "US Syria sanctions", "31 CFR Part 542 (OFAC)",
                           dt.date(2004, 5, 11), verified=False),
    SanctionedJurisdiction("CU", "US Cuba embargo", "31 CFR Part 515 (OFAC)",
                           dt.date(1963, 7, 8), verified=False),
)


def sanctioned_regime(country: str, on: dt.date) -> SanctionedJurisdiction | None:
    """The sanctions regime in force against a country's authorities on a date, if any."""
    c = (country or "").strip().upper()
    for j in SANCTIONED_JURISDICTIONS:
        if j.country == c and j.in_force(on):
            return j
    return None
