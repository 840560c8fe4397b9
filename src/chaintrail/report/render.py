"""A report's HTML: the report template with everything inlined (styles,
Cytoscape.js, the graph scripts, the graph's data as JSON, SVG charts), so
the file opens anywhere with no network. Without Cytoscape.js installed,
the graph is drawn as a static SVG instead."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from markupsafe import Markup

from chaintrail.report.build import ReportData
from chaintrail.report.static_graph import graph_svg
from chaintrail.web.assets import library_path, library_text, static_text
from chaintrail.web.charts import exposure_charts
from chaintrail.web.templating import environment

TEMPLATES = __file__.rsplit("/", 1)[0] + "/templates"


def _script_json(data) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(data, separators=(",", ":"), default=str)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _inline_js(text: str) -> Markup:
    return Markup(text.replace("</script", "<\\/script"))


def render(data: ReportData, version: str) -> str:
    """The HTML text of a report."""
    payload = asdict(data)
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    live = library_path("cytoscape") is not None and data.graph is not None
    ctx = {
        "d": data, "version": version, "digest": digest,
        "charts": exposure_charts(data.exposure) if data.exposure else [],
        "css": Markup(static_text("app.css")),
        "graph_json": Markup(_script_json(data.graph)) if data.graph else None,
        "cytoscape_js": _inline_js(library_text("cytoscape")) if live else None,
        "graph_js": _inline_js(static_text("graph.js") + "\n" + static_text("trace-view.js")) if live else None,
        "static_svg": Markup(graph_svg(data.graph)) if data.graph and not live else None,
        "live": False,
    }
    return environment(TEMPLATES).get_template("report.html").render(**ctx)
