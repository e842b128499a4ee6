"""every free-text column gets a length (descriptions 2,000 characters, reviews and notes 1,000)

Longer values (100,000-character descriptions were stored before) are cut to the new length first:
the column type cannot change while a row is longer.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

COLUMNS = [
    ("service_days", "description", 2000),
    ("service_day_templates", "description", 2000),
    ("offers", "description", 2000),
    ("needs", "description", 2000),
    ("needs", "review", 1000),
    ("notifications", "body", 2000),
    ("teams", "description", 2000),
    ("themes", "description", 2000),
    ("themes", "guidance", 2000),
    ("theme_notes", "note", 1000),
]


def upgrade():
    for table, column, length in COLUMNS:
        op.execute(f"UPDATE {table} SET {column} = substr({column}, 1, {length}) WHERE length({column}) > {length}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.Text(), type_=sa.String(length=length),
                                  existing_nullable=False)


def downgrade():
    for table, column, length in reversed(COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=length), type_=sa.Text(),
                                  existing_nullable=False)
