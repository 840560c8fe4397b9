"""Attribution and screening: tags (GraphSense TagPacks, CSV, mining pools),
sanctions lists (OFAC sdn.csv, sdn_advanced.xml, plain lists) with their
versions, propagation of tags to clusters, address screening and customer
name screening. Parsing and name screening need no store; screening and
propagation read the store's attribution room."""

from chaintrail.attribution.addresses import AddressCheck, check_addresses, hash_addresses
from chaintrail.attribution.mining_pools import Pools, load_pools
from chaintrail.attribution.name_screening import NameIndex, NameMatch
from chaintrail.attribution.propagation import (
    cluster_labels,
    service_anchors,
    suspected_false_merges,
)
from chaintrail.attribution.sanctions import SanctionsError, SanctionsFile, parse_sanctions_file
from chaintrail.attribution.screening import Screener, ScreenResult, exit_status
from chaintrail.attribution.service import (
    import_sanctions,
    import_tags,
    list_sanctions,
    screen_names,
    sdn_entries,
    show_tags,
)
from chaintrail.attribution.tagpacks import parse_tagpacks
from chaintrail.attribution.tags import TAGS, TagReport
from chaintrail.attribution.tags_csv import parse_tags_csv

__all__ = [
    "AddressCheck", "NameIndex", "NameMatch", "Pools", "SanctionsError", "SanctionsFile",
    "ScreenResult", "Screener", "TAGS", "TagReport", "check_addresses", "cluster_labels",
    "exit_status", "hash_addresses", "import_sanctions", "import_tags", "list_sanctions",
    "load_pools", "parse_sanctions_file", "parse_tagpacks", "parse_tags_csv", "screen_names",
    "sdn_entries", "service_anchors", "show_tags", "suspected_false_merges",
]
