"""a secret assembly's trustee documents, accepted before the notice

``trustee_document``: the signed documents of the key ceremony (docs/audit-bundle.md
§5.2) the committee recorded before the notice; the notice writes them into the log.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:30:00
"""

from alembic import op
import sqlalchemy as sa

import ownervote.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('trustee_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('trustee', sa.Integer(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', ownervote.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_trustee_document_assembly_id_assembly')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trustee_document')),
    sa.UniqueConstraint('assembly_id', 'digest', name=op.f('uq_trustee_document_assembly_id'))
    )
    with op.batch_alter_table('trustee_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trustee_document_assembly_id'), ['assembly_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('trustee_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trustee_document_assembly_id'))
    op.drop_table('trustee_document')
