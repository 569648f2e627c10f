"""sources of regulations and service points as unlimited text

A source names every page a fact was checked against; several URLs with notes
outgrow 500 characters (PostgreSQL enforces the limit, SQLite does not).

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table, nullable in (("regulations", False), ("service_points", True)):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("source", existing_type=sa.String(length=500), type_=sa.Text(),
                               existing_nullable=nullable)


def downgrade() -> None:
    for table, nullable in (("regulations", False), ("service_points", True)):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("source", existing_type=sa.Text(), type_=sa.String(length=500),
                               existing_nullable=nullable)
