"""Continuous monitoring: the blocks the monitor screened (and abandoned
after a reorg), its alerts linked to customers and cases, the webhook
outbox (at-least-once delivery), and the watch-list snapshot that tells a
newly listed address from one known before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.String(length=32)


def upgrade() -> None:
    op.create_table(
        "monitor_blocks",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("screened_at", TS, nullable=False),
        sa.Column("abandoned_at", TS, nullable=True),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_monitor_blocks")),
    )
    op.create_index(op.f("ix_monitor_blocks_height"), "monitor_blocks", ["height"], unique=False)
    op.create_table(
        "monitor_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("rule_version", sa.String(length=32), nullable=False),
        sa.Column("ruleset_version", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("txid", sa.String(length=64), nullable=False),
        sa.Column("block_hash", sa.String(length=64), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("block_time", TS, nullable=True),
        sa.Column("address", sa.String(length=128), nullable=True),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("listed_since", sa.Date(), nullable=True),
        sa.Column("known_since", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_monitor_alerts_case_id")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_monitor_alerts_customer_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_alerts")),
        sa.UniqueConstraint("key", name=op.f("uq_monitor_alerts_key")),
    )
    for col in ("rule_id", "customer_id", "txid", "block_hash", "status"):
        op.create_index(op.f(f"ix_monitor_alerts_{col}"), "monitor_alerts", [col], unique=False)
    op.create_table(
        "monitor_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("delivered_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["monitor_alerts.id"],
                                name=op.f("fk_monitor_outbox_alert_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_outbox")),
    )
    op.create_index(op.f("ix_monitor_outbox_alert_id"), "monitor_outbox", ["alert_id"], unique=False)
    op.create_index(op.f("ix_monitor_outbox_status"), "monitor_outbox", ["status"], unique=False)
    op.create_table(
        "monitor_watch",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=True),
        sa.Column("cluster_id", sa.BigInteger(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=256), nullable=True),
        sa.Column("list_name", sa.String(length=128), nullable=True),
        sa.Column("listed_since", sa.Date(), nullable=True),
        sa.Column("first_seen", TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_monitor_watch")),
    )


def downgrade() -> None:
    op.drop_table("monitor_watch")
    op.drop_index(op.f("ix_monitor_outbox_status"), table_name="monitor_outbox")
    op.drop_index(op.f("ix_monitor_outbox_alert_id"), table_name="monitor_outbox")
    op.drop_table("monitor_outbox")
    for col in ("rule_id", "customer_id", "txid", "block_hash", "status"):
        op.drop_index(op.f(f"ix_monitor_alerts_{col}"), table_name="monitor_alerts")
    op.drop_table("monitor_alerts")
    op.drop_index(op.f("ix_monitor_blocks_height"), table_name="monitor_blocks")
    op.drop_table("monitor_blocks")
