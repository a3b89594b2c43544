"""The DX status tracker: history, as-of, the current value, the change since the start of the
fiscal year, permissions, validation, the profile columns it keeps in sync, exports."""
import io
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from supportdesk.extensions import db
from supportdesk.models import AuditLog, StatusItem
from supportdesk.permissions import PermissionDenied
from supportdesk.services import ValidationFailed
from supportdesk.services.municipalities.status import (current_value, record_status,
                                                        value_history, values_as_of)
from supportdesk.services.municipalities.status_catalogue import save_status_item
from supportdesk.services.municipalities.status_overview import (matrix_csv, matrix_xlsx,
                                                                 status_matrix, step_figures,
                                                                 year_of_municipality)
from tests.factories import (make_liaison, make_staff, make_status_value, make_user,
                             municipality)

NOW = datetime(2026, 11, 16, 3, tzinfo=UTC)  # FY2026 (令和8年度)


def item(key):
    return db.session.scalar(sa.select(StatusItem).where(StatusItem.key == key))


def test_the_catalogue_is_seeded_from_the_plan_the_procedure_and_the_profile(app):
    keys = set(db.session.scalars(sa.select(StatusItem.key)))
    assert {"dx_step", "standardisation", "mynumber_card_rate", "online_procedures_rate",
            "ai_in_use", "rpa_in_use", "telework", "security_policy_revised_on", "front_yard",
            "cio_appointed", "dx_plan_in_place", "dx_staff_band", "population_band"} <= keys
    assert len(item("dx_step").steps) == 4
    # The population bands shipped with the municipalities are history rows already.
    kobe = municipality("神戸市")
    row = current_value(kobe, item("population_band"))
    assert row.source_kind == "import" and row.value_number == 5  # 100万人以上


def test_history_as_of_and_current_value_and_profile_sync(app):
    liaison = make_liaison("西播磨")
    sayo = municipality("佐用町")
    record_status(sayo, "dx_step", 1, actor=liaison, source_kind="edit", as_of=date(2026, 5, 1),
                  now=NOW)
    record_status(sayo, "dx_step", "2", actor=liaison, source_kind="edit",
                  as_of=date(2026, 10, 1), now=NOW)
    # A late report of an earlier state: kept in the history, not the current value.
    record_status(sayo, "dx_step", 3, actor=liaison, source_kind="round", source_ref="round:7",
                  as_of=date(2026, 6, 1), now=NOW)
    db.session.commit()
    dx = item("dx_step")
    assert current_value(sayo, dx).value_number == 2
    assert sayo.dx_step == 2  # the profile column follows the current value
    assert [r.value_number for r in value_history(sayo, dx)] == [2, 3, 1]
    assert values_as_of(date(2026, 7, 1), [sayo.id], [dx.id])[(sayo.id, dx.id)].value_number == 3
    first = value_history(sayo, dx)[-1]
    assert (first.set_by_id, first.source_kind, first.as_of) == (liaison.id, "edit",
                                                                 date(2026, 5, 1))
    audits = db.session.scalars(sa.select(AuditLog).where(
        AuditLog.action == "status.recorded")).all()
    assert len(audits) == 3 and audits[-1].detail["source_ref"] == "round:7"


def test_staff_band_recorded_reaches_staff_band_targeting(app):
    from supportdesk.models import Announcement
    from supportdesk.services.announcements import target_municipalities

    make_status_value(municipality("佐用町"), "dx_staff_band", "2", as_of=date(2026, 4, 10))
    a = Announcement(target_all=False, target_dx_staff_bands=["2"])
    assert [m.name for m in target_municipalities(a)] == ["佐用町"]


@pytest.mark.parametrize("key,value,message", [
    ("mynumber_card_rate", "120", "0から100までの数値を入力してください。"),
    ("dx_step", "ステップ9", "段階を一覧から選んでください。"),
    ("security_policy_revised_on", "2026/13/01", "日付は 2025-04-01 の形で入力してください。"),
    ("ai_in_use", "たぶん", "「はい」か「いいえ」を選んでください。"),
    ("main_issues", "  ", "値を入力してください。"),
])
def test_values_are_checked_by_type(app, key, value, message):
    with pytest.raises(ValidationFailed) as exc:
        record_status(municipality("佐用町"), key, value, actor=None, source_kind="import",
                      now=NOW)
    assert (str(exc.value), exc.value.field) == (message, "value")


def test_as_of_in_the_future_is_refused(app):
    with pytest.raises(ValidationFailed) as exc:
        record_status(municipality("佐用町"), "telework", True, actor=None, source_kind="import",
                      as_of=date(2026, 12, 1), now=NOW)
    assert exc.value.field == "as_of"


def test_who_may_edit_and_read(app):
    sayo = municipality("佐用町")
    for outsider in (make_liaison("阪神南"), make_staff("佐用町"), make_user("manager")):
        with pytest.raises(PermissionDenied):
            record_status(sayo, "telework", True, actor=outsider, source_kind="edit", now=NOW)
    record_status(sayo, "telework", True, actor=make_user("admin"), source_kind="edit", now=NOW)
    # A survey answer comes through the survey engine, which checked its respondent.
    record_status(sayo, "ai_in_use", "はい", actor=make_staff("佐用町", info_dept=True),
                  source_kind="survey", source_ref="survey:3", now=NOW)
    status_matrix(make_user("manager"), now=NOW)
    with pytest.raises(PermissionDenied):
        status_matrix(make_staff("佐用町"), now=NOW)


def test_matrix_change_since_the_fiscal_year_began_and_exports(app):
    sayo, kobe = municipality("佐用町"), municipality("神戸市")
    make_status_value(sayo, "mynumber_card_rate", "61.5", as_of=date(2026, 3, 20))
    make_status_value(sayo, "mynumber_card_rate", "70", as_of=date(2026, 9, 1))
    make_status_value(kobe, "main_issues", "=cmd 人材不足", as_of=date(2026, 6, 1))
    matrix = status_matrix(make_user("manager"), now=NOW)
    rate = [i.key for i in matrix["items"]].index("mynumber_card_rate")
    cells = {r["municipality"].name: r["cells"] for r in matrix["rows"]}
    assert len(matrix["rows"]) == 41
    assert (cells["佐用町"][rate]["text"], cells["佐用町"][rate]["change"],
            cells["佐用町"][rate]["age_days"]) == ("70%", "up", 76)
    issues = [i.key for i in matrix["items"]].index("main_issues")
    assert cells["神戸市"][issues]["change"] == "new"

    data = matrix_csv(matrix)
    assert data.startswith("\ufeff".encode()) and "佐用町" in data.decode("utf-8-sig")
    ws = load_workbook(io.BytesIO(matrix_xlsx(matrix))).active
    rows = {r[1]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    head = [c.value for c in ws[1]]
    col = head.index("マイナンバーカード保有率")
    assert rows["佐用町"][col:col + 3] == ("70%", "2026-09-01", "↑")
    assert rows["神戸市"][head.index("主な課題")] == "'=cmd 人材不足"  # never a formula


def test_step_figures_this_fy_against_last(app):
    sayo = municipality("佐用町")
    make_status_value(sayo, "dx_step", 1, as_of=date(2025, 12, 1))
    make_status_value(sayo, "dx_step", 3, as_of=date(2026, 8, 1))
    figures = step_figures(make_user("manager"), now=NOW)
    dx = next(f for f in figures["items"] if f["item"].key == "dx_step")
    west = next(r for r in dx["regions"] if r["region"] and r["region"].name == "西播磨")
    assert [(s["this_fy"], s["last_fy"]) for s in west["steps"]] == [(1, 1), (1, 1), (1, 0),
                                                                    (1, 0)]
    assert dx["regions"][-1]["region"] is None and dx["regions"][-1]["total"] == 41
    # The fiscal-year sheet: last year ended at step 1, this one is at step 3 so far.
    year = {r["item"].key: r for r in year_of_municipality(sayo, 2026, now=NOW)["rows"]}
    assert (year["dx_step"]["start"], year["dx_step"]["change"], year["dx_step"]["recorded"]) \
        == ("ステップ1 全体方針の決定", "up", 1)
    assert year["dx_step"]["end"] == "ステップ3 DXの取組みの実行"


def test_catalogue_item_keeps_key_and_type_once_it_has_values(app):
    admin = make_user("admin")
    new = save_status_item(admin, key="gis", label_ja="GISの導入", label_en="GIS",
                           item_type="yesno", item_group="priority", active=True)
    make_status_value(municipality("佐用町"), "gis", True, as_of=date(2026, 5, 1))
    with pytest.raises(ValidationFailed) as exc:
        save_status_item(admin, new, key="gis", item_type="percentage")
    assert exc.value.field == "key"
    with pytest.raises(PermissionDenied):
        save_status_item(make_liaison("西播磨"), new, label_ja="x")
