"""Tracing: taint policies (poison, haircut, FIFO, LIFO, TIHO) forward and
backward over the store's arrays, flow graphs with their evidence,
exposure to attributed services, and the privacy audit of an organisation
that receives payments. See docs/tracing.md.

    from chaintrail.trace import trace, exposure, privacy_audit
    res = trace(chain, "TXID:VOUT", direction="backward", policy="haircut", max_hops=6)
"""

from chaintrail.trace.api import exposure, privacy_audit, resolver, trace
from chaintrail.trace.audit import AuditReport
from chaintrail.trace.entities import CUSTODIAL, Entity, EntityResolver
from chaintrail.trace.exposure import ExposureReport
from chaintrail.trace.policies import POLICY_NAMES, TraceError
from chaintrail.trace.result import TraceResult

__all__ = ["AuditReport", "CUSTODIAL", "Entity", "EntityResolver", "ExposureReport", "POLICY_NAMES",
           "TraceError", "TraceResult", "exposure", "privacy_audit", "resolver", "trace"]
