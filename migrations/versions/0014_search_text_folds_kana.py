"""search text folds katakana to hiragana

The request search text (already NFKC and lower case) now also folds katakana to hiragana, so
that かいぜん finds カイゼン; this refolds the stored text of existing requests. The fold is
written out here rather than imported, so the migration keeps meaning what it meant.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 06:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_FOLD = {cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)}
_BATCH = 1000


def upgrade():
    conn = op.get_bind()
    requests = sa.table("support_requests", sa.column("id", sa.Integer),
                        sa.column("search_text", sa.Text))
    last = 0
    while True:
        rows = conn.execute(sa.select(requests.c.id, requests.c.search_text)
                            .where(requests.c.id > last).order_by(requests.c.id)
                            .limit(_BATCH)).all()
        if not rows:
            break
        changed = [{"rid": rid, "text": text.translate(_FOLD)} for rid, text in rows
                   if text and text.translate(_FOLD) != text]
        if changed:
            conn.execute(sa.update(requests).where(requests.c.id == sa.bindparam("rid"))
                         .values(search_text=sa.bindparam("text")), changed)
        last = rows[-1][0]


def downgrade():
    pass  # hiragana in the folded text cannot be told from hiragana typed as such; harmless
