"""Country codes (ISO 3166-1 alpha-2) and the spellings OFAC's remarks and
programme names use for them, so ``--country RU`` can be compared with an
entry's nationality, citizenship, place of birth or programme."""

from __future__ import annotations

import re

COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "AF": ("afghanistan",), "AL": ("albania",), "DZ": ("algeria",), "AO": ("angola",),
    "AR": ("argentina",), "AM": ("armenia",), "AU": ("australia",), "AT": ("austria",),
    "AZ": ("azerbaijan",), "BH": ("bahrain",), "BD": ("bangladesh",), "BY": ("belarus",),
    "BE": ("belgium",), "BZ": ("belize",), "BO": ("bolivia",), "BA": ("bosnia",),
    "BR": ("brazil",), "BG": ("bulgaria",), "BF": ("burkina faso",), "MM": ("burma", "myanmar"),
    "KH": ("cambodia",), "CM": ("cameroon",), "CA": ("canada",), "CV": ("cabo verde",),
    "CF": ("central african republic",), "TD": ("chad",), "CL": ("chile",), "CN": ("china",),
    "CO": ("colombia",), "KM": ("comoros",), "CD": ("congo, democratic republic", "democratic republic of the congo", "drc"),
    "CG": ("congo, republic",), "CR": ("costa rica",), "CI": ("cote d ivoire", "ivory coast"),
    "HR": ("croatia",), "CU": ("cuba",), "CY": ("cyprus",), "CZ": ("czech",),
    "DK": ("denmark",), "DJ": ("djibouti",), "DO": ("dominican republic",), "EC": ("ecuador",),
    "EG": ("egypt",), "SV": ("el salvador",), "GQ": ("equatorial guinea",), "ER": ("eritrea",),
    "EE": ("estonia",), "ET": ("ethiopia",), "FI": ("finland",), "FR": ("france",),
    "GA": ("gabon",), "GM": ("gambia",), "GE": ("georgia",), "DE": ("germany",), "GH": ("ghana",),
    "GR": ("greece",), "GT": ("guatemala",), "GN": ("guinea",), "GW": ("guinea-bissau",),
    "HT": ("haiti",), "HN": ("honduras",), "HK": ("hong kong",), "HU": ("hungary",),
    "IN": ("india",), "ID": ("indonesia",), "IR": ("iran",), "IQ": ("iraq",), "IE": ("ireland",),
    "IL": ("israel",), "IT": ("italy",), "JM": ("jamaica",), "JP": ("japan",), "JO": ("jordan",),
    "KZ": ("kazakhstan",), "KE": ("kenya",), "KP": ("korea, north", "north korea", "dprk", "democratic people's republic of korea"),
    "KR": ("korea, south", "south korea"), "XK": ("kosovo",), "KW": ("kuwait",),
    "KG": ("kyrgyzstan", "kirghiz"), "LA": ("laos",), "LV": ("latvia",), "LB": ("lebanon",),
    "LR": ("liberia",), "LY": ("libya",), "LI": ("liechtenstein",), "LT": ("lithuania",),
    "MK": ("macedonia",), "MY": ("malaysia",), "MV": ("maldives",), "ML": ("mali",),
    "MT": ("malta",), "MR": ("mauritania",), "MX": ("mexico",), "MD": ("moldova",),
    "MN": ("mongolia",), "ME": ("montenegro",), "MA": ("morocco",), "MZ": ("mozambique",),
    "NL": ("netherlands",), "NZ": ("new zealand",), "NI": ("nicaragua",), "NE": ("niger",),
    "NG": ("nigeria",), "NO": ("norway",), "OM": ("oman",), "PK": ("pakistan",),
    "PS": ("palestine", "palestinian", "gaza", "west bank"), "PA": ("panama",), "PY": ("paraguay",), "PE": ("peru",),
    "PH": ("philippines",), "PL": ("poland",), "PT": ("portugal",), "QA": ("qatar",),
    "RO": ("romania",), "RU": ("russia", "ussr", "crimea"), "RW": ("rwanda",),
    "KN": ("saint kitts", "st kitts"), "SA": ("saudi arabia",), "SN": ("senegal",),
    "RS": ("serbia",), "SL": ("sierra leone",), "SG": ("singapore",), "SK": ("slovakia",),
    "SI": ("slovenia",), "SO": ("somalia",), "ZA": ("south africa",), "SS": ("south sudan",),
    "ES": ("spain",), "LK": ("sri lanka",), "SD": ("sudan",), "SE": ("sweden",),
    "CH": ("switzerland",), "SY": ("syria",), "TW": ("taiwan",), "TJ": ("tajikistan",),
    "TZ": ("tanzania",), "TH": ("thailand",), "TT": ("trinidad",), "TN": ("tunisia",),
    "TR": ("turkey", "turkiye"), "TM": ("turkmenistan",), "UG": ("uganda",),
    "UA": ("ukraine",), "AE": ("united arab emirates", "uae"),
    "GB": ("united kingdom", "england", "uk"), "US": ("united states", "usa"),
    "UY": ("uruguay",), "UZ": ("uzbekistan",), "VE": ("venezuela",), "VN": ("vietnam",),
    "YE": ("yemen",), "ZW": ("zimbabwe",),
}


def country_names(country: str) -> tuple[str, ...]:
    """The lowercase spellings to look for: a code's names, or the given name itself."""
    c = country.strip()
    return COUNTRY_NAMES.get(c.upper(), (c.lower(),))


def mentions_country(places: list[str], names: tuple[str, ...]) -> bool:
    """True when one of the places (nationality, birthplace, programme...) names the country."""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b")
    for p in places:
        low = p.lower()
        if "sudan" in names and "south sudan" in low:
            low = low.replace("south sudan", "")
        if pattern.search(low):
            return True
    return False
