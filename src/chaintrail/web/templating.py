"""The Jinja2 environment of the pages and the report: templates from the
package, autoescaping on, the value filters of `format`."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from chaintrail.web.assets import TEMPLATES
from chaintrail.web.format import FILTERS


@lru_cache(maxsize=None)
def environment(extra_dir: str | None = None) -> jinja2.Environment:
    """The shared environment (templates of `web/templates`, plus `extra_dir` when given)."""
    paths = [str(TEMPLATES)] + ([extra_dir] if extra_dir else [])
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(paths),
                             autoescape=jinja2.select_autoescape(["html", "xml"]),
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(FILTERS)
    return env
