"""When a screening result is a hit: the `--fail-on` policies, over the plain
dict a result is printed as (standard library only, so that the instant
`chaintrail screen` and the full screening decide alike)."""

from __future__ import annotations

FAIL_ON = ("any", "abuse", "sanctions")


def is_hit(result: dict, fail_on: str = "any") -> bool:
    """A hit under the policy: any list or tag (any), lists and abuse tags (abuse), lists (sanctions)."""
    if result["sanctions"] or result["cluster_sanctions"]:
        return True
    if fail_on == "sanctions":
        return False
    tags = result["tags"] + result["cluster_tags"]
    if fail_on == "abuse":
        return any(t.get("abuse") for t in tags)
    return bool(tags)
