"""small values shared by every process (WeChat access token, answered MsgIds, numbered choices)

With two Rasa servers each fetched its own WeChat token (invalidating the other's) and kept its
own memory of answered messages, so nginx had to pin a WeChat user to one server. Used when no
Redis is configured.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_values",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_shared_values_expires_at", "shared_values", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_shared_values_expires_at", table_name="shared_values")
    op.drop_table("shared_values")
