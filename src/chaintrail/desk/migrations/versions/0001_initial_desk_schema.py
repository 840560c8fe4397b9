"""The desk's tables: users, customers and their accounts and addresses,
cases, requests with targets, links, decisions, productions and
notifications, screening runs, hits and rule findings, freezes,
offboardings, and the hash-chained audit log with its head.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('audit_log',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('case_ref', sa.String(length=32), nullable=True),
    sa.Column('subject', sa.String(length=128), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_action', ['action'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('opened_by', sa.String(length=128), nullable=False),
    sa.Column('opened_at', sa.String(length=32), nullable=False),
    sa.Column('closed_at', sa.String(length=32), nullable=True),
    sa.Column('closed_by', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('ref', name=op.f('uq_cases_ref'))
    )
    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('exchange', sa.String(length=128), nullable=True),
    sa.Column('customer_type', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('gender', sa.String(length=8), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('nationality', sa.String(length=64), nullable=True),
    sa.Column('residence', sa.String(length=8), nullable=True),
    sa.Column('residence_permits', sa.String(length=128), nullable=True),
    sa.Column('street', sa.String(length=256), nullable=True),
    sa.Column('city', sa.String(length=128), nullable=True),
    sa.Column('postcode', sa.String(length=32), nullable=True),
    sa.Column('country', sa.String(length=8), nullable=True),
    sa.Column('holdings_eur', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=256), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('ref', name=op.f('uq_customers_ref'))
    )
    op.create_table('desk_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_desk_settings'))
    )
    op.create_table('desk_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('roles', sa.String(length=256), nullable=False),
    sa.Column('secret', sa.String(length=256), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_desk_users_name'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=96), nullable=False),
    sa.Column('exchange', sa.String(length=128), nullable=True),
    sa.Column('opened', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_accounts_customer_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('ref', name=op.f('uq_accounts_ref'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_customer_id'), ['customer_id'], unique=False)

    op.create_table('case_customers',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_customers_case_id')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_case_customers_customer_id')),
    sa.PrimaryKeyConstraint('case_id', 'customer_id', name=op.f('pk_case_customers'))
    )
    op.create_table('freezes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('basis_kind', sa.String(length=16), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('list_name', sa.String(length=64), nullable=True),
    sa.Column('list_entry', sa.String(length=64), nullable=True),
    sa.Column('court_order', sa.String(length=256), nullable=True),
    sa.Column('frozen_at', sa.String(length=32), nullable=False),
    sa.Column('frozen_by', sa.String(length=128), nullable=False),
    sa.Column('report_due', sa.Date(), nullable=True),
    sa.Column('reported_at', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('released_at', sa.String(length=32), nullable=True),
    sa.Column('released_by', sa.String(length=128), nullable=True),
    sa.Column('release_basis', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_freezes_case_id')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_freezes_customer_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_freezes'))
    )
    with op.batch_alter_table('freezes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_freezes_customer_id'), ['customer_id'], unique=False)

    op.create_table('offboardings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.String(length=32), nullable=False),
    sa.Column('decided_by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_offboardings_case_id')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_offboardings_customer_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offboardings'))
    )
    with op.batch_alter_table('offboardings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offboardings_customer_id'), ['customer_id'], unique=False)

    op.create_table('requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=256), nullable=False),
    sa.Column('country', sa.String(length=8), nullable=False),
    sa.Column('requester_type', sa.String(length=32), nullable=False),
    sa.Column('officer', sa.String(length=256), nullable=True),
    sa.Column('contact', sa.String(length=256), nullable=True),
    sa.Column('verification', sa.String(length=16), nullable=False),
    sa.Column('case_number', sa.String(length=128), nullable=True),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('agreement', sa.String(length=256), nullable=True),
    sa.Column('categories', sa.String(length=256), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=True),
    sa.Column('window_end', sa.Date(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('emergency', sa.Text(), nullable=True),
    sa.Column('followup', sa.String(length=256), nullable=True),
    sa.Column('followup_due', sa.Date(), nullable=True),
    sa.Column('gag_order', sa.Boolean(), nullable=False),
    sa.Column('gag_until', sa.Date(), nullable=True),
    sa.Column('tipping_off', sa.Boolean(), nullable=False),
    sa.Column('max_hops', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('received_at', sa.String(length=32), nullable=False),
    sa.Column('closed_at', sa.String(length=32), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_requests_case_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requests'))
    )
    op.create_table('screening_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('rules_on', sa.Date(), nullable=False),
    sa.Column('lists', sa.String(length=128), nullable=True),
    sa.Column('threshold', sa.Float(), nullable=True),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.Column('name_hits', sa.Integer(), nullable=False),
    sa.Column('restricted', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_screening_runs_case_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_runs'))
    )
    op.create_table('account_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('first_height', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_addresses_account_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_addresses'))
    )
    with op.batch_alter_table('account_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_addresses_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_addresses_address'), ['address'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('verdict', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_decisions_request_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_request_id'), ['request_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('not_before', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_notifications_customer_id')),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_notifications_request_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_request_id'), ['request_id'], unique=False)

    op.create_table('productions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('path', sa.Text(), nullable=True),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=True),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.Column('categories', sa.String(length=256), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_productions_request_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_productions'))
    )
    with op.batch_alter_table('productions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_productions_request_id'), ['request_id'], unique=False)

    op.create_table('request_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_request_targets_request_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_targets'))
    )
    with op.batch_alter_table('request_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_targets_request_id'), ['request_id'], unique=False)

    op.create_table('rule_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_rule_findings_customer_id')),
    sa.ForeignKeyConstraint(['run_id'], ['screening_runs.id'], name=op.f('fk_rule_findings_run_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_findings'))
    )
    with op.batch_alter_table('rule_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_findings_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rule_findings_run_id'), ['run_id'], unique=False)

    op.create_table('screening_hits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('list_name', sa.String(length=64), nullable=False),
    sa.Column('entry', sa.String(length=64), nullable=False),
    sa.Column('entry_name', sa.String(length=512), nullable=True),
    sa.Column('matched_name', sa.String(length=512), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=128), nullable=True),
    sa.Column('decided_at', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_screening_hits_customer_id')),
    sa.ForeignKeyConstraint(['run_id'], ['screening_runs.id'], name=op.f('fk_screening_hits_run_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_hits'))
    )
    with op.batch_alter_table('screening_hits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_hits_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_hits_run_id'), ['run_id'], unique=False)

    op.create_table('request_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=128), nullable=True),
    sa.Column('address_kind', sa.String(length=16), nullable=True),
    sa.Column('relation', sa.String(length=24), nullable=False),
    sa.Column('hops', sa.Integer(), nullable=False),
    sa.Column('path', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_request_links_customer_id')),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_request_links_request_id')),
    sa.ForeignKeyConstraint(['target_id'], ['request_targets.id'], name=op.f('fk_request_links_target_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_links'))
    )
    with op.batch_alter_table('request_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_links_request_id'), ['request_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('request_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_links_request_id'))

    op.drop_table('request_links')
    with op.batch_alter_table('screening_hits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_hits_run_id'))
        batch_op.drop_index(batch_op.f('ix_screening_hits_customer_id'))

    op.drop_table('screening_hits')
    with op.batch_alter_table('rule_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_findings_run_id'))
        batch_op.drop_index(batch_op.f('ix_rule_findings_customer_id'))

    op.drop_table('rule_findings')
    with op.batch_alter_table('request_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_targets_request_id'))

    op.drop_table('request_targets')
    with op.batch_alter_table('productions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_productions_request_id'))

    op.drop_table('productions')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_request_id'))

    op.drop_table('notifications')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_request_id'))

    op.drop_table('decisions')
    with op.batch_alter_table('account_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_addresses_address'))
        batch_op.drop_index(batch_op.f('ix_account_addresses_account_id'))

    op.drop_table('account_addresses')
    op.drop_table('screening_runs')
    op.drop_table('requests')
    with op.batch_alter_table('offboardings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offboardings_customer_id'))

    op.drop_table('offboardings')
    with op.batch_alter_table('freezes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_freezes_customer_id'))

    op.drop_table('freezes')
    op.drop_table('case_customers')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_customer_id'))

    op.drop_table('accounts')
    op.drop_table('desk_users')
    op.drop_table('desk_settings')
    op.drop_table('customers')
    op.drop_table('cases')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_action')

    op.drop_table('audit_log')
    op.drop_table('audit_head')
