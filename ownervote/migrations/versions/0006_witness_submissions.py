"""the log asks witnesses for cosignatures itself

``witness_submission``: per witness and log, the size the witness last cosigned (the
``old`` of the next C2SP add-checkpoint request) and the back-off after failures.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:00:00
"""

from alembic import op
import sqlalchemy as sa

import ownervote.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('witness_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('witness_id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('known_size', sa.BigInteger(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', ownervote.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('updated_at', ownervote.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['witness_id'], ['witness.id'], name=op.f('fk_witness_submission_witness_id_witness')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_witness_submission_assembly_id_assembly')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_witness_submission')),
    sa.UniqueConstraint('witness_id', 'assembly_id', name=op.f('uq_witness_submission_witness_id'))
    )
    with op.batch_alter_table('witness_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_witness_submission_assembly_id'), ['assembly_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('witness_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_witness_submission_assembly_id'))
    op.drop_table('witness_submission')
