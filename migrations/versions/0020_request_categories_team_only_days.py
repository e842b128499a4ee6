"""residents' requests get everyday categories; the service day made for a request is its team's only

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-23 17:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

NEED_CATEGORIES = "('repair', 'elderly', 'escort', 'shopping', 'company', 'legal', 'other')"


def upgrade():
    with op.batch_alter_table('service_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_only', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Requests were filed under team categories: keep what maps (legal advice; health → a doctor's
    # visit), the rest become "other"; days already made for requests become their team's only.
    op.execute("UPDATE needs SET category = CASE category WHEN 'legal' THEN 'legal' WHEN 'health' THEN 'escort' "
               "ELSE 'other' END")
    op.execute("UPDATE service_days SET team_only = true WHERE id IN "
               "(SELECT service_day_id FROM needs WHERE service_day_id IS NOT NULL)")
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_needs_category'), f"category IN {NEED_CATEGORIES}")


def downgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_needs_category'), type_='check')
    with op.batch_alter_table('service_days', schema=None) as batch_op:
        batch_op.drop_column('team_only')
