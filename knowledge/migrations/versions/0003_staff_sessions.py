"""server-side staff sessions, login history, a per-address reference on cases

Sessions in the database can be ended at once (logout, account disabled or demoted);
login attempts are kept for the union's records; cases remember a keyed hash of the
address they came from, to limit how many one address can open.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen", sa.DateTime, nullable=False),
        sa.Column("address", sa.String(64)),
        sa.Column("ended_at", sa.DateTime),
    )
    op.create_table(
        "login_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("address", sa.String(64)),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(32)),
    )
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("client_ref", sa.String(64)))
        batch.create_index("ix_cases_client_ref", ["client_ref"])


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_client_ref")
        batch.drop_column("client_ref")
    op.drop_table("login_events")
    op.drop_table("staff_sessions")
