"""when each regulation and figure was last checked; the statistic year of published figures

Freshness has to be visible: `gongyou kb stale` and the console's coverage page list figures
not re-verified within a year. Average wages are published for one year and used in the next.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("regulations") as batch:
        batch.add_column(sa.Column("verified", sa.Date(), nullable=True))
    with op.batch_alter_table("figures") as batch:
        batch.add_column(sa.Column("verified", sa.Date(), nullable=True))
        batch.add_column(sa.Column("statistic_year", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("figures") as batch:
        batch.drop_column("statistic_year")
        batch.drop_column("verified")
    with op.batch_alter_table("regulations") as batch:
        batch.drop_column("verified")
