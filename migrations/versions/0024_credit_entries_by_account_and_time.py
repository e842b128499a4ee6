"""an account's ledger entries by time, for the reports that read a period of a centre's or a merchant's flows

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-24 01:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_credit_entries_account_created', 'credit_entries', ['account_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_credit_entries_account_created', table_name='credit_entries')
