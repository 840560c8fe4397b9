"""The desk's tables (SQLAlchemy Core). The Alembic migrations under
``migrations/versions`` create exactly these; a test compares them.

Times are ISO 8601 strings in UTC (``2025-03-01T10:00:00.000000Z``) so the
audit log hashes the very text the database returns, on SQLite and
PostgreSQL alike; dates are DATE columns."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

NAMING = {"ix": "ix_%(table_name)s_%(column_0_name)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s", "pk": "pk_%(table_name)s"}
metadata = MetaData(naming_convention=NAMING)
TS = String(32)

settings = Table(
    "desk_settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

users = Table(
    "desk_users", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("roles", String(256), nullable=False),  # comma-separated
    Column("secret", String(256), nullable=False),  # scrypt$n$r$p$salt$hash
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(128)),
)

customers = Table(
    "customers", metadata,
    Column("id", Integer, primary_key=True),
    Column("ref", String(64), nullable=False, unique=True),
    Column("exchange", String(128)),
    Column("customer_type", String(16), nullable=False, default="person"),
    Column("name", String(256), nullable=False),
    Column("gender", String(8)),
    Column("date_of_birth", Date),
    Column("nationality", String(64)),  # ISO codes, comma-separated for several
    Column("residence", String(8)),
    Column("residence_permits", String(128)),  # ISO codes, comma-separated
    Column("street", String(256)),
    Column("city", String(128)),
    Column("postcode", String(32)),
    Column("country", String(8)),
    Column("holdings_eur", Float),
    Column("status", String(16), nullable=False, default="active"),  # active|frozen|offboarded
    Column("source", String(256)),
    Column("created_at", TS, nullable=False),
)

accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("ref", String(96), nullable=False, unique=True),
    Column("exchange", String(128)),
    Column("opened", Date),
    Column("status", String(16), nullable=False, default="active"),  # active|withdrawal_only|frozen|closed
)

account_addresses = Table(
    "account_addresses", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("address", String(128), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # deposit | withdrawal
    Column("first_height", Integer),
)

cases = Table(
    "cases", metadata,
    Column("id", Integer, primary_key=True),
    Column("ref", String(32), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # request | screening | freeze | investigation
    Column("purpose", Text, nullable=False),
    Column("opened_by", String(128), nullable=False),
    Column("opened_at", TS, nullable=False),
    Column("closed_at", TS),
    Column("closed_by", String(128)),
)

case_customers = Table(
    "case_customers", metadata,
    Column("case_id", Integer, ForeignKey("cases.id"), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True),
)
# a customer's cases (the monitor finds each alerted customer's open monitoring case)
Index("ix_case_customers_customer_id", case_customers.c.customer_id)

requests = Table(
    "requests", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("agency", String(256), nullable=False),
    Column("country", String(8), nullable=False),
    Column("requester_type", String(32), nullable=False),
    Column("officer", String(256)),
    Column("contact", String(256)),
    Column("verification", String(16), nullable=False, default="unverified"),
    Column("case_number", String(128)),
    Column("instrument", String(32), nullable=False),
    Column("legal_basis", Text),
    Column("agreement", String(256)),
    Column("categories", String(256), nullable=False),
    Column("window_start", Date),
    Column("window_end", Date),
    Column("deadline", Date),
    Column("emergency", Text),  # JSON of facts.Emergency
    Column("followup", String(256)),
    Column("followup_due", Date),
    Column("gag_order", Boolean, nullable=False, default=False),
    Column("gag_until", Date),
    Column("tipping_off", Boolean, nullable=False, default=False),
    Column("max_hops", Integer, nullable=False, default=2),
    Column("status", String(24), nullable=False, default="received"),
    Column("received_at", TS, nullable=False),
    Column("closed_at", TS),
    Column("created_by", String(128), nullable=False),
)

request_targets = Table(
    "request_targets", metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # address | txid | customer
    Column("value", String(128), nullable=False),
)

request_links = Table(
    "request_links", metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False, index=True),
    Column("target_id", Integer, ForeignKey("request_targets.id"), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("address", String(128)),
    Column("address_kind", String(16)),
    Column("relation", String(24), nullable=False),  # named | is | paid_target | paid_by_target
    Column("hops", Integer, nullable=False),
    Column("path", Text),  # JSON: steps (hop, txid, from, to) in money-flow order
)

decisions = Table(
    "decisions", metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("requests.id"), index=True),
    Column("kind", String(16), nullable=False),  # review | approve | refuse
    Column("outcome", String(16), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("at", TS, nullable=False),
    Column("reason", Text),
    Column("verdict", Text),  # JSON of rules.Verdict
)

productions = Table(
    "productions", metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False, index=True),
    Column("actor", String(128), nullable=False),
    Column("at", TS, nullable=False),
    Column("outcome", String(24), nullable=False),  # produced | partly_produced | no_records
    Column("path", Text),
    Column("manifest_sha256", String(64)),
    Column("customers", Integer, nullable=False),
    Column("accounts", Integer, nullable=False),
    Column("categories", String(256)),
)

notifications = Table(
    "notifications", metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False, index=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("decision", String(16), nullable=False),  # notify | withhold | defer
    Column("reason", Text, nullable=False),
    Column("not_before", Date),
)

screening_runs = Table(
    "screening_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("at", TS, nullable=False),
    Column("rules_on", Date, nullable=False),
    Column("lists", String(128)),
    Column("threshold", Float),
    Column("customers", Integer, nullable=False),
    Column("name_hits", Integer, nullable=False),
    Column("restricted", Integer, nullable=False),
    Column("seconds", Float),
)

screening_hits = Table(
    "screening_hits", metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("screening_runs.id"), nullable=False, index=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("list_name", String(64), nullable=False),
    Column("entry", String(64), nullable=False),
    Column("entry_name", String(512)),
    Column("matched_name", String(512)),
    Column("score", Float, nullable=False),
    Column("status", String(16), nullable=False, default="open"),  # open | confirmed | cleared
    Column("decided_by", String(128)),
    Column("decided_at", TS),
    Column("reason", Text),
)

rule_findings = Table(
    "rule_findings", metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("screening_runs.id"), nullable=False, index=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("rule", String(64), nullable=False),
    Column("version", String(32), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("explanation", Text, nullable=False),
)

freezes = Table(
    "freezes", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("basis_kind", String(16), nullable=False),  # listed_person | court_order
    Column("basis", Text, nullable=False),
    Column("list_name", String(64)),
    Column("list_entry", String(64)),
    Column("court_order", String(256)),
    Column("frozen_at", TS, nullable=False),
    Column("frozen_by", String(128), nullable=False),
    Column("report_due", Date),
    Column("reported_at", TS),
    Column("status", String(16), nullable=False, default="active"),  # active | released
    Column("released_at", TS),
    Column("released_by", String(128)),
    Column("release_basis", Text),
)

offboardings = Table(
    "offboardings", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("version", String(32), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("decided_at", TS, nullable=False),
    Column("decided_by", String(128), nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", TS, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("case_ref", String(32)),
    Column("subject", String(128)),
    Column("reason", Text),
    Column("details", Text, nullable=False),  # canonical JSON object
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_audit_log_action", audit_log.c.action)

audit_head = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# --- continuous monitoring (chaintrail.monitor; migration 0003) ------------------------------

monitor_blocks = Table(
    "monitor_blocks", metadata,
    Column("hash", String(64), primary_key=True),
    Column("height", Integer, nullable=False, index=True),
    Column("status", String(16), nullable=False),  # screened | abandoned
    Column("screened_at", TS, nullable=False),
    Column("abandoned_at", TS),
    Column("transfers", Integer, nullable=False),
    Column("alerts", Integer, nullable=False),
)

monitor_alerts = Table(
    "monitor_alerts", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),  # sha256 of what makes it one alert
    Column("rule_id", String(64), nullable=False, index=True),
    Column("rule_version", String(32), nullable=False),
    Column("ruleset_version", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # open | escalated | closed | abandoned
    Column("origin", String(16), nullable=False),  # live | rescreen
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("case_id", Integer, ForeignKey("cases.id")),
    Column("txid", String(64), nullable=False, index=True),
    Column("block_hash", String(64), index=True),
    Column("height", Integer),
    Column("block_time", TS),
    Column("address", String(128)),
    Column("direction", String(16), nullable=False),  # deposit | withdrawal | spend
    Column("amount", BigInteger, nullable=False),
    Column("category", String(32)),
    Column("score", Float),
    Column("summary", Text, nullable=False),
    Column("evidence", Text, nullable=False),  # canonical JSON
    Column("listed_since", Date),  # the earliest listing date behind a list/tag finding
    Column("known_since", TS),  # when the monitor first knew the item (rescreen: the update)
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("decided_by", String(128)),
    Column("reason", Text),
)
Index("ix_monitor_alerts_status", monitor_alerts.c.status)

monitor_outbox = Table(
    "monitor_outbox", metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("monitor_alerts.id"), nullable=False, index=True),
    Column("event", String(32), nullable=False),  # alert.created | alert.abandoned | alert.updated
    # the body posted (canonical JSON); with_evidence: the body's fields only, and the body posted
    # is them with the alert's evidence added under "evidence" (written once, in the alert)
    Column("payload", Text, nullable=False),
    Column("with_evidence", Boolean, nullable=False, server_default=false()),
    Column("status", String(16), nullable=False),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", TS, nullable=False),
    Column("last_error", Text),
    Column("created_at", TS, nullable=False),
    Column("delivered_at", TS),
)
Index("ix_monitor_outbox_status", monitor_outbox.c.status)

monitor_watch = Table(
    "monitor_watch", metadata,
    Column("key", String(40), primary_key=True),  # digest of source, address/cluster, category
    Column("source", String(16), nullable=False),  # sanctions | tags
    Column("address", String(128)),
    Column("cluster_id", BigInteger),
    Column("category", String(32), nullable=False),
    Column("entity", String(256)),
    Column("list_name", String(128)),
    Column("listed_since", Date),
    Column("first_seen", TS, nullable=False),  # when the monitor first knew the item
)
