"""The browser UI served by `chaintrail serve`: server-rendered pages
(Jinja2) for blocks, transactions, addresses and clusters, with their tags
and exposure charts, and the interactive trace graph (Cytoscape.js plus a
little vanilla JS). See docs/web.md."""
