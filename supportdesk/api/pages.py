"""Keyset pagination for the API's lists: newest first on id, an opaque cursor, limit + 1 rows."""
from flask_babel import gettext as _

from ..extensions import db
from .core import ApiError, decode_cursor, encode_cursor


def keyset_page(stmt, id_column, args):
    """(rows, next_cursor) of `stmt` newest first. Rows inserted between pages land before the
    first page, so later pages never repeat or skip a row."""
    if args.cursor:
        last_id = decode_cursor(args.cursor)
        if not isinstance(last_id, int) or isinstance(last_id, bool):
            raise ApiError(400, _("カーソルが正しくありません。"))
        stmt = stmt.where(id_column < last_id)
    rows = db.session.scalars(stmt.order_by(id_column.desc()).limit(args.limit + 1)).unique().all()
    more = len(rows) > args.limit
    rows = rows[:args.limit]
    return rows, (encode_cursor(rows[-1].id) if more else None)
