"""programme catalogue: lecture menus, support kinds and expert kinds as data

catalogue_entries holds the choices a prefecture pack sets (講座メニュー with their guidance,
支援の種類, 専門人材の種別), keyed by what rows already store (support_requests.program,
support_requests.help_wanted, support_actions.kind, expert_profiles.kind), so existing rows keep
their meaning. A desk set up before this revision gets its pack's entries here; a new desk gets
them from `flask seed`. The CHECK on expert_profiles.kind goes: the kinds are the catalogue's now.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-04 19:00:00

"""
import re

from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil

revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None

EXPERT_KINDS_CHECK = ("kind IN ('県職員', '県の民間採用人材', 'DXアドバイザー', '戦略監', "
                      "'国のDXアドバイザー', '先行市町職員', '事業者')")


def _rewrite_sqlite_table(bind, table, change):
    """Change a table's SQL in SQLite's schema (a CHECK dropped or added does not change the
    file format): a batch rebuild would DROP expert_profiles under foreign keys (0036 says why)."""
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    new = change(sql)
    if new == sql:
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (new, table))
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _seed_from_pack(bind):
    """The entries of the pack the desk was set up from (none yet: `flask seed` adds them)."""
    pack_key = bind.execute(sa.text("SELECT pack FROM desk_profiles WHERE id = 1")).scalar()
    if pack_key is None:
        return
    from supportdesk.services.packs import load_pack

    table = sa.table('catalogue_entries', sa.column('list'), sa.column('key'), sa.column('name_ja'),
                     sa.column('name_en'), sa.column('guidance_ja'), sa.column('guidance_en'),
                     sa.column('sort_order'), sa.column('active'))
    order = {}
    rows = []
    for e in load_pack(pack_key).catalogue:
        order[e.list] = order.get(e.list, -1) + 1
        rows.append(dict(list=e.list, key=e.key, name_ja=e.name, name_en=e.name_en,
                         guidance_ja=e.guidance, guidance_en=e.guidance_en,
                         sort_order=order[e.list] * 10, active=True))
    op.bulk_insert(table, rows)


def upgrade():
    op.create_table('catalogue_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=30), nullable=False),
    sa.Column('name_ja', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('guidance_ja', sa.Text(), nullable=True),
    sa.Column('guidance_en', sa.Text(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("list IN ('lecture_menu', 'support_kind', 'expert_kind')",
                       name=op.f('ck_catalogue_entries_list')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_entries')),
    sa.UniqueConstraint('list', 'key', name=op.f('uq_catalogue_entries_list'))
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _rewrite_sqlite_table(bind, "expert_profiles", lambda sql: re.sub(
            r",\s*CONSTRAINT ck_expert_profiles_kind CHECK \(kind IN \([^)]*\)\)", "", sql))
    else:
        op.drop_constraint(op.f('ck_expert_profiles_kind'), 'expert_profiles', type_='check')
    _seed_from_pack(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _rewrite_sqlite_table(bind, "expert_profiles", lambda sql: sql.replace(
            "CONSTRAINT pk_expert_profiles",
            f"CONSTRAINT ck_expert_profiles_kind CHECK ({EXPERT_KINDS_CHECK}), CONSTRAINT pk_expert_profiles"))
    else:
        op.create_check_constraint(op.f('ck_expert_profiles_kind'), 'expert_profiles',
                                   sa.text(EXPERT_KINDS_CHECK))
    op.drop_table('catalogue_entries')
