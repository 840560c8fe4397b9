"""The vocabulary of tags: GraphSense's entity and abuse concepts (the
INTERPOL Dark Web and Virtual Assets taxonomy as GraphSense publishes it)
and its confidence levels with their scores. Facts, kept as data; see
docs/attribution.md for their meaning and sources."""

from __future__ import annotations

from dataclasses import dataclass

#: Entity concepts (a tag's ``category``): who or what controls an address.
ENTITY_CATEGORIES: dict[str, str] = {
    "entity": "Entity",
    "organization": "Organization",
    "user": "User",
    "item": "Digital Item",
    "service": "Service",
    "exchange": "Exchange",
    "wallet_service": "Wallet Service",
    "escrow_wallet": "Escrow Wallet",
    "ico_wallet": "ICO Wallet",
    "cold_wallet": "Cold Wallet",
    "filesharing": "File Sharing",
    "index": "Index",
    "market": "Market",
    "messaging_service": "Messaging Service",
    "mixing_service": "Mixing Service",
    "coinjoin": "CoinJoin",
    "miner": "Miner",
    "mining_service": "Mining as a Service",
    "gambling": "Gambling Service",
    "search_engine": "Search Engine",
    "shop": "Shop",
    "faucet": "Faucet",
    "payment_processor": "Payment Processor",
    "atm": "Cryptoasset ATM",
    "defi": "DeFi Protocol",
    "defi_lending": "Lending Protocol",
    "defi_dex": "Decentralized Exchange (DEX)",
    "defi_derivative": "Derivative",
    "collectible": "Collectible",
    "donation": "Donation",  # chaintrail's own: a published donation address
}

#: Abuse concepts (a tag's ``abuse``): what an address was used for.
ABUSE_CATEGORIES: dict[str, str] = {
    "scam": "Scam",
    "extortion": "Extortion",
    "sextortion": "Sextortion",
    "phishing": "Phishing",
    "service_hack": "Service Hack",
    "ransomware": "Ransomware",
    "investment_fraud": "Investment Fraud",
    "ponzi_scheme": "Ponzi Scheme",
    "pyramid_scheme": "Pyramid Scheme",
    "sanction": "Sanction List",
    "terrorism": "Terrorism",  # used by the public TagPacks, not in the 2022 concept list
    "extremism": "Extremism",  # likewise
}

#: Older or informal names mapped to the concept they mean.
ALIASES: dict[str, str] = {
    "mixer": "mixing_service",
    "mining-service": "mining_service",
    "mining_pool": "miner",
    "pool": "miner",
    "sanctioned": "sanction",
    "darknet_market": "market",
    "ransom": "ransomware",
}

#: Entity categories that stand for one operated service: two of them in one
#: cluster mean the cluster probably merged two wallets that are not one.
SERVICE_CATEGORIES = frozenset({
    "exchange", "wallet_service", "escrow_wallet", "market", "mixing_service", "miner",
    "mining_service", "gambling", "shop", "faucet", "payment_processor", "atm", "filesharing",
    "messaging_service", "search_engine", "index",
})


@dataclass(frozen=True)
class Confidence:
    """One GraphSense confidence level."""

    id: str
    score: int
    label: str


#: GraphSense's confidence levels, highest first.
CONFIDENCE_LEVELS: dict[str, Confidence] = {c.id: c for c in (
    Confidence("override", 100, "Manual cluster tag"),
    Confidence("ownership", 100, "Proven address ownership"),
    Confidence("manual_transaction", 90, "Trusted transaction"),
    Confidence("service_api", 80, "Service API"),
    Confidence("authority_data", 60, "Authority data"),
    Confidence("trusted_provider", 50, "Trusted data providers"),
    Confidence("service_data", 50, "Service data"),
    Confidence("forensic", 50, "Forensic reports"),
    Confidence("untrusted_transaction", 40, "Untrusted transaction"),
    Confidence("web_crawl", 20, "Web crawls"),
)}

#: Score of a tag that states no confidence: the lowest level.
UNKNOWN_CONFIDENCE_SCORE = 20


def normalise_concept(value: str | None) -> str | None:
    """A category or abuse name in the taxonomy's spelling (lowercase, aliases resolved)."""
    if value is None:
        return None
    v = str(value).strip().lower().replace(" ", "_")
    if not v:
        return None
    return ALIASES.get(v, v)


def confidence_score(level: str | None) -> int:
    """The score (0-100) of a confidence level id; unknown or missing ones score lowest."""
    if level is None:
        return UNKNOWN_CONFIDENCE_SCORE
    c = CONFIDENCE_LEVELS.get(str(level).strip().lower())
    return c.score if c else UNKNOWN_CONFIDENCE_SCORE


def is_known_concept(value: str) -> bool:
    """True for an entity or abuse concept of the taxonomy."""
    return value in ENTITY_CATEGORIES or value in ABUSE_CATEGORIES
