"""the log head carries its tree's peaks

``log_head.peaks``: the hashes of the complete subtrees whose fold is the root
(``ledger.treemath.peaks(size)``, left to right, 32 bytes each).  An append
needs them, and the writer reads the head row anyway when it takes the log's
lock; NULL (a log written before this revision) means "read the nodes".

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 11:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('log_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('peaks', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('log_head', schema=None) as batch_op:
        batch_op.drop_column('peaks')
