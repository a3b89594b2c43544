"""The tracker's pages: the matrix and its exports for the prefecture, the municipality page's
section, the edit form (an error beside the field, the typed value kept), 404 for other
municipalities' staff."""
import io
from datetime import date

from openpyxl import load_workbook

from tests.factories import (make_liaison, make_staff, make_status_value, make_system_migration,
                             make_user, municipality)


def test_matrix_exports_and_standardisation_pages(app, client, login_as):
    sayo = municipality("佐用町")
    make_status_value(sayo, "telework", True, as_of=date(2026, 6, 1))
    make_system_migration(sayo, "juki", "migrating", as_of=date(2026, 6, 1),
                          planned_on=date(2026, 9, 30), vendor="テスト電算")
    login_as(make_user("manager"))
    page = client.get("/status/").get_data(as_text=True)
    assert 'data-testid="status-matrix"' in page and "佐用町" in page and "はい" in page
    assert client.get("/status/figures").status_code == 200
    grid = client.get("/status/standardisation/").get_data(as_text=True)
    assert 'data-testid="overdue-list"' in grid and "住民基本台帳 2026-09-30" in grid
    csv = client.get("/status/export.csv")
    assert csv.data.startswith("\ufeff".encode()) and csv.mimetype == "text/csv"
    ws = load_workbook(io.BytesIO(client.get("/status/export.xlsx").data)).active
    assert ws.max_row == 42  # a header and the 41 municipalities
    assert client.get("/status/m/28501/telework").status_code == 403  # managers read only
    sheet = client.get("/reports/municipality/28501/2026").get_data(as_text=True)
    assert 'data-testid="status-year"' in sheet and "2026-06-01" in sheet
    title = sheet.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and "DX取組状況" not in title  # the table is in the page, not the tab


def test_municipality_section_and_edit_form(app, client, login_as):
    sayo = municipality("佐用町")
    liaison = make_liaison("西播磨")
    login_as(liaison)
    assert 'data-testid="status-section"' in client.get(f"/municipalities/{sayo.code}") \
        .get_data(as_text=True)
    url = f"/status/m/{sayo.code}/mynumber_card_rate"
    bad = client.post(url, data={"value": "150", "as_of": "2026-05-01"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "0から100までの数値を入力してください。" in text
    assert 'value="150"' in text
    ok = client.post(url, data={"value": "63.2", "as_of": "2026-05-01"})
    assert ok.status_code == 302
    page = client.get(f"/municipalities/{sayo.code}").get_data(as_text=True)
    assert "63.2%" in page
    # Another region's municipality: readable, not editable by this liaison.
    assert client.get("/status/m/28202/telework").status_code == 404


def test_staff_see_only_their_own(app, client, login_as):
    login_as(make_staff("佐用町"))
    assert 'data-testid="status-section"' in client.get("/municipalities/28501") \
        .get_data(as_text=True)
    assert client.get("/municipalities/28202").status_code == 404
    assert client.get("/status/").status_code == 403


def test_admins_keep_the_catalogue(app, client, login_as):
    login_as(make_user("admin"))
    assert "dx_step" in client.get("/status/items/").get_data(as_text=True)
    form = {"key": "gis", "label_ja": "GISの導入", "item_type": "step", "item_group": "priority",
            "steps": "", "active": "y"}
    bad = client.post("/status/items/new", data=form).get_data(as_text=True)
    assert "段階の名前を1行に1つずつ入力してください。" in bad and 'value="GISの導入"' in bad
    ok = client.post("/status/items/new", data=dict(form, steps="未導入\n導入済み"))
    assert ok.status_code == 302
    assert "GISの導入" in client.get("/status/").get_data(as_text=True)


def test_step_and_yes_no_forms(app, client, login_as):
    login_as(make_liaison("西播磨"))
    page = client.get("/status/m/28501/dx_step").get_data(as_text=True)
    assert "ステップ2 推進体制の整備" in page
    assert client.post("/status/m/28501/dx_step",
                       data={"value": "2", "as_of": "2026-05-01"}).status_code == 302
    assert client.post("/status/m/28501/telework",
                       data={"value": "1", "as_of": "2026-05-01"}).status_code == 302
    assert municipality("佐用町").dx_step == 2
    url = "/status/standardisation/28501/juki"
    bad = client.post(url, data={"status": "migrated", "as_of": "2026-05-01", "vendor": "播磨電算"})
    text = bad.get_data(as_text=True)
    assert "移行完了には移行日を入力してください。" in text and 'value="播磨電算"' in text
    assert client.post(url, data={"status": "migrated", "migrated_on": "2026-04-20",
                                  "as_of": "2026-05-01"}).status_code == 302
    assert "移行完了 1 / 20" in client.get("/municipalities/28501").get_data(as_text=True)
