"""an owner account's session generation

``owner_account.session_generation``: raised by every successful verification of
the account.  A browser session remembers the generation it verified in; the
account's sign-ins of an older generation have been ended, and a browser that
verified in an older generation may neither switch back to the account nor enrol a
phone for it (issue 15: the real owner's re-verification pushes an impostor out).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 19:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('owner_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('owner_account', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
