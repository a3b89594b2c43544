"""System standardisation (システム標準化・ガバメントクラウド): the 20 core business systems
(supportdesk/data/standard_systems.csv), each municipality's migration state per system with
history (the current state is the latest as-of), the 41 x 20 progress view (and its CSV and
XLSX) and the municipalities whose planned date has passed without migration."""
import csv
import io
import logging
from datetime import date
from functools import cache
from importlib import resources

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import SystemMigration
from ...models.standardisation import MIGRATION_STATE_LABELS, MIGRATION_STATES
from ...models.status import SOURCE_KINDS
from ...timeutil import utcnow
from .. import ValidationFailed
from ..audit import record_audit
from ..reports.exports import safe_cell
from .status import today_of
from .status_overview import visible_municipalities

logger = logging.getLogger(__name__)
FIELDS = ("status", "planned_on", "migrated_on", "special_support", "vendor",
          "line_contracted")


@cache
def standard_systems():
    """[(code, name_ja, name_en)] of the 20 標準化対象事務, in the official order."""
    text = resources.files("supportdesk.data").joinpath("standard_systems.csv").read_text("utf-8")
    return tuple((r["code"], r["name_ja"], r["name_en"]) for r in csv.DictReader(text.splitlines()))


def system_name(code, locale="ja"):
    for c, ja, en in standard_systems():
        if c == code:
            return en if locale == "en" else ja
    return code


def _date(value, field):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(_("日付は 2025-04-01 の形で入力してください。"), field) from None


def record_migration(municipality, system_code, *, actor, status, planned_on=None,
                     migrated_on=None, special_support=False, vendor=None, line_contracted=False,
                     source_kind="edit", source_ref=None, as_of=None, now=None):
    """Record the state of one system of a municipality, as of a date (today by default): a new
    history row, never an update. "edit" is checked like the tracker's edits; a survey or an
    import names its source. Audited; flushes."""
    now = now or utcnow()
    if source_kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source kind {source_kind!r}")
    if system_code not in {c for c, _ja, _en in standard_systems()}:
        raise ValidationFailed(_("標準化対象のシステムを選んでください。"), "system_code")
    if status not in MIGRATION_STATES:
        raise ValidationFailed(_("移行状況を選んでください。"), "status")
    planned_on, migrated_on = _date(planned_on, "planned_on"), _date(migrated_on, "migrated_on")
    as_of = _date(as_of, "as_of") or today_of(now)
    if as_of > today_of(now):
        raise ValidationFailed(_("「時点」に未来の日付は指定できません。"), "as_of")
    if status == "migrated" and migrated_on is None:
        raise ValidationFailed(_("移行完了には移行日を入力してください。"), "migrated_on")
    if status != "migrated" and migrated_on is not None:
        raise ValidationFailed(_("移行日は移行完了のときだけ入力します。"), "migrated_on")
    vendor = (vendor or "").strip() or None
    if vendor and len(vendor) > 100:
        raise ValidationFailed(_("%(n)d文字以内で入力してください。", n=100), "vendor")
    row = SystemMigration(municipality_id=municipality.id, system_code=system_code,
                          status=status, planned_on=planned_on, migrated_on=migrated_on,
                          special_support=bool(special_support), vendor=vendor,
                          line_contracted=bool(line_contracted), as_of=as_of, set_at=now,
                          set_by_id=getattr(actor, "id", None), source_kind=source_kind,
                          source_ref=(source_ref or None) and str(source_ref)[:100])
    if source_kind == "edit":
        permissions.require(actor, "edit", row)
    db.session.add(row)
    db.session.flush()
    record_audit("standardisation.recorded", actor=actor, target=municipality, now=now,
                 system=system_code, status=status, as_of=as_of.isoformat(),
                 planned_on=planned_on and planned_on.isoformat(),
                 migrated_on=migrated_on and migrated_on.isoformat(), source=source_kind)
    logger.info("standardisation %s of municipality %s = %s as of %s by %s", system_code,
                municipality.id, status, as_of, row.set_by_id)
    return row


def current_migrations(municipality_ids=None, before=None):
    """{(municipality_id, system_code): SystemMigration}, the latest as of `before` (None: now)."""
    rank = sa.func.row_number().over(
        partition_by=(SystemMigration.municipality_id, SystemMigration.system_code),
        order_by=(SystemMigration.as_of.desc(), SystemMigration.set_at.desc(),
                  SystemMigration.id.desc())).label("rank")
    sub = sa.select(SystemMigration.id, rank)
    if municipality_ids is not None:
        sub = sub.where(SystemMigration.municipality_id.in_(list(municipality_ids)))
    if before is not None:
        sub = sub.where(SystemMigration.as_of <= before)
    sub = sub.subquery()
    rows = db.session.scalars(sa.select(SystemMigration).join(sub, sub.c.id == SystemMigration.id)
                              .where(sub.c.rank == 1)).all()
    return {(r.municipality_id, r.system_code): r for r in rows}


def migration_history(municipality, system_code=None):
    stmt = sa.select(SystemMigration).where(SystemMigration.municipality_id == municipality.id)
    if system_code:
        stmt = stmt.where(SystemMigration.system_code == system_code)
    return db.session.scalars(stmt.order_by(SystemMigration.as_of.desc(),
                                            SystemMigration.set_at.desc(),
                                            SystemMigration.id.desc())).all()


def is_overdue(row, today):
    """A planned date passed and the system not migrated."""
    return row is not None and row.status != "migrated" and row.planned_on is not None \
        and row.planned_on < today


def progress_grid(user, *, now, region_id=None):
    """The 41 x 20 view: per municipality, its current row per system, and counts."""
    munis = visible_municipalities(user, region_id)
    current = current_migrations([m.id for m in munis])
    today = today_of(now)
    rows = []
    for m in munis:
        cells = [current.get((m.id, code)) for code, _ja, _en in standard_systems()]
        rows.append({"municipality": m, "cells": cells,
                     "migrated": sum(1 for c in cells if c and c.status == "migrated"),
                     "overdue": sum(1 for c in cells if is_overdue(c, today))})
    return {"systems": standard_systems(), "rows": rows, "today": today}


def overdue_municipalities(user, *, now):
    """[(municipality, [overdue rows])] whose planned date has passed and not migrated."""
    grid = progress_grid(user, now=now)
    out = []
    for r in grid["rows"]:
        late = [c for c in r["cells"] if is_overdue(c, grid["today"])]
        if late:
            out.append((r["municipality"], late))
    return out


def _grid_table(grid, locale):
    """Header and rows of the 41 x 20 view: per system its state, planned date (and a mark
    for a date passed), migrated date, vendor and line, beside the municipality."""
    head = [_("市町コード"), _("市町"), _("圏域"), _("移行完了"), _("予定日超過")]
    for _code, ja, en in grid["systems"]:
        name = en if locale == "en" else ja
        head += [name, f"{name} {_('移行予定日')}", f"{name} {_('移行日')}",
                 f"{name} {_('事業者')}", f"{name} {_('接続回線')}"]
    body = []
    for r in grid["rows"]:
        m = r["municipality"]
        line = [m.code, m.name, m.region.name, r["migrated"], r["overdue"]]
        for c in r["cells"]:
            if c is None:
                line += ["", "", "", "", ""]
                continue
            line += [_(MIGRATION_STATE_LABELS[c.status]) + ("★" if c.special_support else ""),
                     c.planned_on.isoformat() if c.planned_on else "",
                     c.migrated_on.isoformat() if c.migrated_on else "",
                     safe_cell(c.vendor or ""), _("契約済み") if c.line_contracted else _("未契約")]
        body.append(line)
    return head, body


def grid_csv(grid, locale="ja"):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    head, body = _grid_table(grid, locale)
    writer.writerow(head)
    writer.writerows(body)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def grid_xlsx(grid, locale="ja"):
    from openpyxl import Workbook  # lazy: needed only by the XLSX download
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("システム標準化")
    head, body = _grid_table(grid, locale)
    ws.append(head)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for line in body:
        ws.append(line)
    ws.freeze_panes = "F2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
