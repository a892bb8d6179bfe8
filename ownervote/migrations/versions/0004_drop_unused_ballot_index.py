"""drop the unused ballot index table

Ballots live only as ledger entries (``ledger_entry``, kind ``ballot`` /
``paper_ballot``, indexed by head and ballot number).  The ``ballot`` table of the
first schema was never written: a table linking owners to choices is one this
product must not have.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 09:10:00
"""

from alembic import op
import sqlalchemy as sa
import ownervote.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_head_id'))
        batch_op.drop_index(batch_op.f('ix_ballot_assembly_id'))
    op.drop_table('ballot')


def downgrade() -> None:
    op.create_table('ballot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('head_id', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('entry_index', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('cast_at', ownervote.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('scan_sha256', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_ballot_assembly_id_assembly')),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_ballot_owner_id_owner')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_ballot_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot'))
    )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_assembly_id'), ['assembly_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballot_head_id'), ['head_id'], unique=False)
