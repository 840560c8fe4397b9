"""Where the browser libraries are: Cytoscape.js (the trace graph) and
Swagger UI (/docs), installed from the npm registry by the set-up command
(`make setup`: `npm ci` over the repository's package.json), never
committed. They are looked for in ``$CHAINTRAIL_NODE_MODULES``, then in a
``node_modules`` beside or above the package (an editable install), then
in the current directory's."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from chaintrail.errors import ChaintrailError

ENV = "CHAINTRAIL_NODE_MODULES"
STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"

#: name -> path inside node_modules
LIBRARIES = {
    "cytoscape": "cytoscape/dist/cytoscape.min.js",
    "swagger-ui-js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui-css": "swagger-ui-dist/swagger-ui.css",
}


class AssetMissing(ChaintrailError):
    """A browser library the set-up command installs is not there."""


def _candidates() -> list[Path]:
    out = []
    env = os.environ.get(ENV)
    if env:
        out.append(Path(env))
    here = Path(__file__).resolve().parent
    out += [p / "node_modules" for p in here.parents]
    out.append(Path.cwd() / "node_modules")
    return out


@lru_cache(maxsize=None)
def library_path(name: str) -> Path | None:
    """The file of a library, or None when it is not installed."""
    rel = LIBRARIES[name]
    for nm in _candidates():
        p = nm / rel
        if p.is_file():
            return p
    return None


def library_text(name: str) -> str:
    """A library's source, for inlining into a self-contained report."""
    p = library_path(name)
    if p is None:
        raise AssetMissing(f"{LIBRARIES[name].split('/')[0]} is not installed: run `make setup` "
                           f"(npm ci in the repository) or set {ENV} to a node_modules directory")
    return p.read_text(encoding="utf-8")


def static_text(name: str) -> str:
    """One of the package's own static files (CSS, JS)."""
    return (STATIC / name).read_text(encoding="utf-8")
