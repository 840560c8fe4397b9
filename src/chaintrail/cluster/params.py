"""The parameters of a clustering: everything that decides its result, as
stored with it (so it can be rebuilt, and so an incremental update knows
when it may continue from the saved state)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from chaintrail.heuristics.change_expr import canonical, parse

#: blocks after a transaction when its change link is decided and applied (about a day)
DEFAULT_HORIZON = 144
DEFAULT_MAX_CHANGE_OUTPUTS = 3


@dataclass(frozen=True)
class ClusterParams:
    """How to cluster: change heuristics, CoinJoin filter, horizon and guards."""

    change: str = "default"  # a --change expression (stored canonical)
    coinjoin_filter: bool = True  # skip detected CoinJoins in the multi-input heuristic
    horizon: int = DEFAULT_HORIZON  # blocks until a change link is final
    #: only transactions with at most this many outputs get a change link: in batches the fresh
    #: address and fingerprints name a customer more often than the change (docs/clustering.md)
    max_change_outputs: int | None = DEFAULT_MAX_CHANGE_OUTPUTS
    guard_tags: bool = True  # refuse merges of clusters holding different tagged services
    guard_other_output: bool = True  # refuse a change link when another output pays the sender
    #: payees of a sender's transactions never join its cluster by a change link (off by default:
    #: on the simulated economy it refuses almost nothing the other guards let through, and it
    #: keeps three more arrays per address; docs/clustering.md)
    cannot_link: bool = False
    cannot_link_multi_input: bool = False  # ...nor by the multi-input heuristic
    min_tag_confidence: int = 50  # tags below this GraphSense confidence score are not anchors

    def normalised(self) -> ClusterParams:
        """The same parameters with the change expression in its stored spelling."""
        d = asdict(self)
        d["change"] = canonical(parse(self.change))
        return ClusterParams(**d)

    def to_dict(self) -> dict:
        return asdict(self.normalised())

    @classmethod
    def from_dict(cls, d: dict) -> ClusterParams:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)
