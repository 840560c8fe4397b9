"""Attribution and screening: tags (GraphSense TagPacks, CSV, mining pools),
sanctions lists (OFAC sdn.csv, sdn_advanced.xml, plain lists) with their
versions, propagation of tags to clusters, address screening and customer
name screening. Parsing and name screening need no store; screening and
propagation read the store's attribution room."""

from importlib import import_module

_WHERE = {
    "AddressCheck": "chaintrail.attribution.addresses",
    "check_addresses": "chaintrail.attribution.addresses",
    "hash_addresses": "chaintrail.attribution.addresses",
    "Pools": "chaintrail.attribution.mining_pools",
    "load_pools": "chaintrail.attribution.mining_pools",
    "NameIndex": "chaintrail.attribution.name_screening",
    "NameMatch": "chaintrail.attribution.name_screening",
    "cluster_labels": "chaintrail.attribution.propagation",
    "service_anchors": "chaintrail.attribution.propagation",
    "suspected_false_merges": "chaintrail.attribution.propagation",
    "SanctionsError": "chaintrail.attribution.sanctions",
    "SanctionsFile": "chaintrail.attribution.sanctions",
    "parse_sanctions_file": "chaintrail.attribution.sanctions",
    "Screener": "chaintrail.attribution.screening",
    "ScreenResult": "chaintrail.attribution.screening",
    "exit_status": "chaintrail.attribution.screening",
    "import_sanctions": "chaintrail.attribution.service",
    "import_tags": "chaintrail.attribution.service",
    "list_sanctions": "chaintrail.attribution.service",
    "screen_names": "chaintrail.attribution.service",
    "sdn_entries": "chaintrail.attribution.service",
    "show_tags": "chaintrail.attribution.service",
    "parse_tagpacks": "chaintrail.attribution.tagpacks",
    "TAGS": "chaintrail.attribution.tags",
    "TagReport": "chaintrail.attribution.tags",
    "parse_tags_csv": "chaintrail.attribution.tags_csv",
}


def __getattr__(name: str):  # lazy: a command imports only what it uses
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(name)


__all__ = [
    "AddressCheck", "NameIndex", "NameMatch", "Pools", "SanctionsError", "SanctionsFile",
    "ScreenResult", "Screener", "TAGS", "TagReport", "check_addresses", "cluster_labels",
    "exit_status", "hash_addresses", "import_sanctions", "import_tags", "list_sanctions",
    "load_pools", "parse_sanctions_file", "parse_tagpacks", "parse_tags_csv", "screen_names",
    "sdn_entries", "service_anchors", "show_tags", "suspected_false_merges",
]
