"""Alert events carry their evidence by reference: ``monitor_outbox`` gets
``with_evidence``. A row with it set keeps in ``payload`` the event's
fields without the evidence; the body posted is those fields with the
alert's evidence (``monitor_alerts.evidence``, immutable) added under
``evidence`` in key order, the same bytes as a body that embedded it. A
re-screening's evidence (thousands of bytes an alert) is then written once,
not twice. Rows written before keep their whole body (``with_evidence``
false) and are posted as they are.

``case_customers`` gets an index on ``customer_id``: storing alerts finds
each alerted customer's open monitoring case, 500 customers a query, and
without it SQLite scanned every case and probed each for the 500 customers
(with 60k cases open, 30M probes a query: a re-screening of 77k customers
against a desk already holding their cases stalled for hours).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("monitor_outbox") as batch:
        batch.add_column(sa.Column("with_evidence", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_index(op.f("ix_case_customers_customer_id"), "case_customers", ["customer_id"],
                    unique=False)


def _splice(fields: str, evidence: str) -> str:
    """The whole body: the fields' canonical JSON with the evidence text added in key order."""
    items = [(k, json.dumps(v, sort_keys=True, separators=(",", ":")))
             for k, v in json.loads(fields).items()] + [("evidence", evidence)]
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in sorted(items)) + "}"


def downgrade() -> None:
    # every event written with the evidence by reference gets its whole body back first
    bind = op.get_bind()
    outbox = sa.table("monitor_outbox", sa.column("id", sa.Integer), sa.column("payload", sa.Text),
                      sa.column("alert_id", sa.Integer), sa.column("with_evidence", sa.Boolean))
    alerts = sa.table("monitor_alerts", sa.column("id", sa.Integer), sa.column("evidence", sa.Text))
    rows = bind.execute(sa.select(outbox.c.id, outbox.c.payload, alerts.c.evidence)
                        .select_from(outbox.join(alerts, alerts.c.id == outbox.c.alert_id))
                        .where(outbox.c.with_evidence.is_(True))).all()
    for oid, fields, evidence in rows:
        bind.execute(sa.update(outbox).where(outbox.c.id == oid)
                     .values(payload=_splice(fields, evidence)))
    with op.batch_alter_table("monitor_outbox") as batch:
        batch.drop_column("with_evidence")
    op.drop_index(op.f("ix_case_customers_customer_id"), table_name="case_customers")
