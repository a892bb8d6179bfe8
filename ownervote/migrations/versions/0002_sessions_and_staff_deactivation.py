"""signed-in sessions; staff deactivation

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import ownervote.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signed_in_session',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('principal', sa.String(length=40), nullable=False),
    sa.Column('created_at', ownervote.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', ownervote.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', ownervote.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=30), nullable=True),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_signed_in_session'))
    )
    with op.batch_alter_table('signed_in_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signed_in_session_principal'), ['principal'], unique=False)
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deactivated_at', ownervote.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('deactivated_at')
    with op.batch_alter_table('signed_in_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signed_in_session_principal'))
    op.drop_table('signed_in_session')
