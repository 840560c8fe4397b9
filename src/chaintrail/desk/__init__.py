"""The compliance desk: customer records linked to the chain, authorities'
requests answered under rules the desk can prove it followed, sanctions
rules on customers, a hash-chained audit log and the transparency report.
See docs/desk.md.

    from chaintrail.desk import Desk, requests
    desk, token = Desk.init(store="./data", home_country="DE")   # token of the first admin
    s = desk.login("admin", token)
    ...

The rule engine is pure: ``evaluate_request(RequestFacts, date)``,
``evaluate_customer(CustomerFacts, date)``, ``evaluate_freeze(FreezeOrder, date)``
return a ``Verdict`` whose findings carry their source, dates and words.
Every service function takes an authenticated ``DeskSession`` first and
checks its roles (``auth.PERMISSIONS``)."""

from chaintrail.desk import (
    auditing,
    cases,
    customers,
    freezes,
    offboarding,
    production,
    requests,
    screening,
    transparency,
)
from chaintrail.desk.customer_rules import evaluate_customer, evaluate_freeze
from chaintrail.desk.errors import AuthError, DeskError, PermissionDenied, PurposeError, RuleRefusal
from chaintrail.desk.facts import CustomerFacts, Emergency, FreezeOrder, RequestFacts, Target
from chaintrail.desk.request_rules import evaluate_request
from chaintrail.desk.rules import Finding, RuleVersion, Verdict
from chaintrail.desk.session import Desk, DeskSession, add_user, list_users, set_user

__all__ = [
    "AuthError", "CustomerFacts", "Desk", "DeskError", "DeskSession", "Emergency", "Finding",
    "FreezeOrder", "PermissionDenied", "PurposeError", "RequestFacts", "RuleRefusal", "RuleVersion",
    "Target", "Verdict", "add_user", "auditing", "cases", "customers", "evaluate_customer",
    "evaluate_freeze", "evaluate_request", "freezes", "list_users", "offboarding", "production",
    "requests", "screening", "set_user", "transparency",
]
