"""Stop-at rules: at which attributed entities a trace ends, as commercial
exposure does when it reaches the first service.

A rule is one of: ``any`` (every attributed entity), ``service`` (the
taxonomy's operated services), ``custodial`` (exchanges, wallet services,
ATMs: they keep customer records), ``none``, a category or abuse concept
(``exchange``, ``mixer`` = ``mixing_service``, ``ransomware``, ``sanction``...),
or ``entity:NAME`` for one entity.
"""

from __future__ import annotations

from collections.abc import Iterable

from chaintrail.attribution.taxonomy import SERVICE_CATEGORIES, is_known_concept, normalise_concept
from chaintrail.trace.policies import TraceError

SPECIAL = {"any", "all", "attributed", "service", "services", "custodial", "none"}


def parse_rules(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """Rules from a comma-separated string or a list (normalised; unknown names refused)."""
    if text is None:
        return ()
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for raw in items:
        item = str(raw).strip().lower()
        if not item:
            continue
        if item.startswith("entity:"):
            out.append("entity:" + item[7:].strip())
            continue
        if item in SPECIAL:
            out.append(item)
            continue
        concept = normalise_concept(item)
        if concept is None or not is_known_concept(concept):
            raise TraceError(f"unknown stop-at rule {raw!r}: use any, service, custodial, none, "
                             "a category (exchange, mixer, ...), an abuse (ransomware, ...) "
                             "or entity:NAME")
        out.append(concept)
    return tuple(out)


def matches(entity, rules: Iterable[str]) -> bool:
    """Whether an entity (with .entity_id, .category, .abuse) falls under any rule."""
    from chaintrail.trace.entities import CUSTODIAL

    for rule in rules:
        if rule == "none":
            continue
        if rule in ("any", "all", "attributed"):
            return True
        if rule in ("service", "services") and entity.category in SERVICE_CATEGORIES:
            return True
        if rule == "custodial" and entity.category in CUSTODIAL:
            return True
        if rule.startswith("entity:") and entity.entity_id == rule[7:]:
            return True
        if rule == entity.category or rule == entity.abuse:
            return True
    return False
