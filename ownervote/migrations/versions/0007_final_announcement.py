"""the final announcement's time on the assembly

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:20:00.000000

The final announcement (after the objection period) is a ``result.final`` entry in the
assembly's ledger; the assembly keeps when it was issued, for its pages and the console.
"""

from alembic import op
import sqlalchemy as sa
import ownervote.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.add_column(sa.Column('final_announced_at', ownervote.db.UTCDateTime(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.drop_column('final_announced_at')
