"""The analysis rooms the API calls (clusters, attribution, trace), imported
when first needed. A room function that does not exist yet turns into a
501 problem naming it, so the endpoint is documented and answers clearly
until the room lands."""

from __future__ import annotations

import importlib
from typing import Any

from chaintrail.api.problems import Problem


def room_function(module: str, name: str, what: str) -> Any:
    """`module.name`, or a 501 problem saying which feature waits for it."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            raise Problem(501, f"{what} is not available yet: {module} is not written",
                          "room-not-ready") from None
        raise
    fn = getattr(mod, name, None)
    if fn is None:
        raise Problem(501, f"{what} is not available yet: {module}.{name} does not exist",
                      "room-not-ready")
    return fn


def has_clustering(chain) -> bool:
    """Whether the store holds a clustering (`chaintrail cluster build`)."""
    return bool(chain._store.manifest.extra.get("clusters"))


def has_attribution(chain) -> bool:
    """Whether tags or sanctions lists were imported (`chaintrail tags import`)."""
    return "attribution" in chain._store.manifest.extra


def need_clustering(chain) -> None:
    if not has_clustering(chain):
        raise Problem(404, "this store has no clustering: run `chaintrail cluster build`",
                      "no-clustering")
