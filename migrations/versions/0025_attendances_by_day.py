"""a plain index of attendances by service day, for the reports of a week or a month

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-24 01:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_attendances_service_day_id', 'attendances', ['service_day_id'], unique=False)


def downgrade():
    op.drop_index('ix_attendances_service_day_id', table_name='attendances')
