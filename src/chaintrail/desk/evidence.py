"""The evidence behind a link, from the tracing room: how much of a
target's value reached a linked customer's address (forward: the target
paid them) or came from it (backward: they paid the target) under a taint
policy, and the heaviest chain of transactions that carried it
(``TraceResult.path_to``). The hop search in ``linking`` decides *who* is
linked; ``trace`` says *how much* and shows the path an authority can check."""

from __future__ import annotations

import numpy as np

from chaintrail.chain import Chain
from chaintrail.desk.chainlink import address_ids

DEFAULT_POLICY = "haircut"


class EvidenceCache:
    """Traces of one request's targets, run once per (target, direction, hops)."""

    def __init__(self, chain: Chain, policy: str = DEFAULT_POLICY):
        self.chain = chain
        self.policy = policy
        self._traces: dict[tuple[str, str, int], object] = {}

    def trace(self, target: str, direction: str, hops: int):
        key = (target, direction, hops)
        if key not in self._traces:
            from chaintrail.trace import api

            self._traces[key] = api.trace(self.chain, target, direction, self.policy, max_hops=hops)
        return self._traces[key]

    def evidence(self, target: str, relation: str, hops: int, address: str) -> dict:
        """The traced amount and path between a target and a customer address hops away."""
        if hops <= 0:
            return {"policy": self.policy, "amount": None, "path": [],
                    "note": "the target is the customer's own address"}
        direction = "forward" if relation == "paid_by_target" else "backward"
        try:
            res = self.trace(target, direction, hops)
        except Exception as exc:  # noqa: BLE001 - the trace room's refusal, shown as the note
            return {"policy": self.policy, "direction": direction, "amount": None, "path": [],
                    "note": f"trace failed: {str(exc)[:200]}"}
        e = res.edges_raw
        away = e["dst"] if direction == "forward" else e["src"]
        aid = int(address_ids(self.chain, [address])[0])
        out_address = np.asarray(self.chain._arrays.out_address)
        ok = away >= 0
        mask = np.zeros(away.shape[0], np.bool_)
        mask[ok] = out_address[away[ok]] == aid
        mask &= e["hop"] <= hops
        if aid < 0 or not mask.any():
            return {"policy": self.policy, "direction": direction, "amount": 0, "path": [],
                    "note": f"no value traced under {self.policy} within {hops} hops "
                            "(the link exists; the policy assigns it no share)"}
        idx = np.nonzero(mask)[0]
        k = int(idx[np.argmax(e["amount"][idx])])
        return {"policy": self.policy, "direction": direction,
                "amount": int(e["amount"][idx].sum()),
                "path": res.path_to(int(away[k]), hop=int(e["hop"][k])),
                "budget_exhausted": bool(res.budget_exhausted)}
