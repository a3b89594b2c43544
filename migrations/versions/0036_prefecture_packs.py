"""prefecture packs: villages and special wards, and the desk's identity

A municipality may now be a 村 or a 特別区 (Nagano's 35 villages, Tokyo's 23 wards), and one
row holds what the desk was set up as (the pack, the prefecture, the desk's name and what it
calls its municipalities), seeded from the pack and editable by an admin.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil

revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None

KINDS_BEFORE = "kind IN ('市', '町', '政令市')"
KINDS_AFTER = "kind IN ('市', '町', '村', '特別区', '政令市')"


def _replace_kinds(old, new):
    """Swap the CHECK on municipalities.kind.

    On SQLite a batch (copy-and-move) rebuild of municipalities fails once other tables point at
    its rows (DROP TABLE under foreign keys), and foreign keys cannot be switched off inside the
    migration's transaction. A CHECK that admits more values does not change the file format, so
    SQLite's documented procedure for such changes is used instead: rewrite the table's SQL in
    the schema under writable_schema and bump schema_version so every connection re-reads it.
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f('ck_municipalities_kind'), 'municipalities', type_='check')
        op.create_check_constraint(op.f('ck_municipalities_kind'), 'municipalities', sa.text(new))
        return
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'municipalities'").scalar()
    if old not in sql:
        raise RuntimeError(f"municipalities.kind has an unexpected CHECK: {sql}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'municipalities'",
                         (sql.replace(old, new),))
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade():
    _replace_kinds(KINDS_BEFORE, KINDS_AFTER)
    op.create_table('desk_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pack', sa.String(length=40), nullable=False),
    sa.Column('prefecture_code', sa.String(length=2), nullable=False),
    sa.Column('prefecture_name', sa.String(length=20), nullable=False),
    sa.Column('desk_name', sa.String(length=80), nullable=False),
    sa.Column('municipalities_word', sa.String(length=20), nullable=False),
    sa.Column('municipalities_word_en', sa.String(length=40), nullable=False),
    sa.Column('footer', sa.String(length=200), nullable=False),
    sa.Column('central_team', sa.String(length=40), nullable=False),
    sa.Column('mail_sender', sa.String(length=200), nullable=True),
    sa.Column('colour', sa.String(length=7), nullable=True),
    sa.Column('tile_map', sa.String(length=80), nullable=True),
    sa.Column('updated_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_profiles'))
    )


def downgrade():
    op.drop_table('desk_profiles')
    _replace_kinds(KINDS_AFTER, KINDS_BEFORE)
