"""What a prefecture pack set up, changed by an admin afterwards: the desk's profile, the
regions and a municipality's region. Every change leaves an audit row and shows at once; a
move keeps the membership history, and past reports keep counting in the region of their time."""
from datetime import datetime

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import AuditLog, Municipality, Region, RegionMembership, Visit
from supportdesk.permissions import can, team_for
from supportdesk.models import SupportRequest
from supportdesk.services import reference
from supportdesk.services.desk import desk
from supportdesk.services.regions import move_municipality
from supportdesk.services.reports.monthly import build_fiscal_summary, build_monthly_report
from supportdesk.timeutil import JST
from tests.factories import (make_liaison, make_request, make_staff, make_user, municipality,
                             region)
from tests.test_admin import assert_japanese_error, control


def jst(*args):
    return datetime(*args, tzinfo=JST)


def audits(action):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)
                                   .order_by(AuditLog.id)))


def memberships(m):
    return [(row.region.name, row.valid_from, row.valid_to) for row in db.session.scalars(
        sa.select(RegionMembership).where(RegionMembership.municipality_id == m.id)
        .order_by(RegionMembership.id))]


@pytest.fixture
def admin_client(client, login_as):
    admin = make_user("admin")
    login_as(admin)
    client.admin = admin
    return client


# --- who may --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin/desk", "/admin/regions", "/admin/regions/new",
                                  "/admin/municipalities/1/region"])
def test_only_admins_reach_the_pages(app, client, login_as, path):
    for user in (make_liaison("西播磨", central=True), make_user("manager"), make_staff("佐用町")):
        login_as(user)
        assert client.get(path).status_code == 403
        if path != "/admin/regions":  # the list only answers GET
            assert client.post(path, data={"name": "x", "region_id": "1"}).status_code == 403
    assert not audits("region.created") and not audits("municipality.region_moved")
    client.post("/logout")
    assert client.get(path).status_code in (302, 401)


# --- the desk's profile -----------------------------------------------------------------------

PROFILE = {"desk_name": "市町村DX支援デスク", "prefecture_name": "試験県",
           "municipalities_word": "市町村", "municipalities_word_en": "municipalities",
           "footer": "試験県 市町村DX支援 フッター", "central_team": "県庁チーム",
           "mail_sender": "desk@pref.example.lg.jp", "colour": "#123abc"}


def test_desk_profile_change_is_audited_and_shows_at_once(admin_client):
    page = admin_client.get("/admin/desk").get_data(as_text=True)
    old = desk()
    assert f'value="{old.desk_name}"' in control(page, "desk_name")
    version = reference.current_version()
    resp = admin_client.post("/admin/desk", data=PROFILE)
    assert resp.status_code == 302
    # The version counter moved in the admin's transaction, so every worker reloads the profile.
    db.session.expire_all()
    from flask import g

    g.pop("_reference_version", None)
    assert reference.current_version() > version
    # The next page (any page) already carries the new footer.
    assert "試験県 市町村DX支援 フッター" in admin_client.get("/admin/regions").get_data(as_text=True)
    [row] = audits("desk_profile.updated")
    assert row.actor_id == admin_client.admin.id
    assert row.detail["before"]["footer"] == old.footer
    assert row.detail["after"]["footer"] == PROFILE["footer"]
    assert row.detail["after"]["colour"] == "#123abc"
    # Saving the same values again changes nothing and writes no second row.
    admin_client.post("/admin/desk", data=PROFILE)
    assert len(audits("desk_profile.updated")) == 1


@pytest.mark.parametrize("field,value", [("colour", "blue"), ("colour", "#12345"),
                                         ("mail_sender", "not an address"),
                                         ("desk_name", ""), ("footer", "")])
def test_desk_profile_bad_input_message_beside_field_and_kept(admin_client, field, value):
    before = desk()
    data = dict(PROFILE, **{field: value})
    page = admin_client.post("/admin/desk", data=data).get_data(as_text=True)
    assert_japanese_error(page, field)
    assert f'value="{value}"' in control(page, field)
    assert 'value="試験県"' in control(page, "prefecture_name")  # the rest is kept too
    assert not audits("desk_profile.updated")
    db.session.expire_all()
    assert desk() == before


# --- regions ---------------------------------------------------------------------------------

def test_region_add_rename_reorder_mark_central(admin_client):
    data = {"name": "新圏域", "has_liaison": "y", "sort_order": "95", "round_cycle_months": "6"}
    assert admin_client.post("/admin/regions/new", data=data).status_code == 302
    new = region("新圏域")
    assert (new.has_liaison, new.sort_order, new.round_cycle_months) == (True, 95, 6)
    assert "新圏域" in {r.name for r in reference.regions()}  # the pickers see it at once
    # Rename, move to the top, mark central (no liaison: the central team works its requests).
    data = {"name": "改称圏域", "sort_order": "0", "round_cycle_months": "3"}
    assert admin_client.post(f"/admin/regions/{new.id}", data=data).status_code == 302
    db.session.expire_all()
    changed = db.session.get(Region, new.id)
    assert (changed.name, changed.has_liaison, changed.sort_order) == ("改称圏域", False, 0)
    assert [r.name for r in reference.regions()][0] == "改称圏域" or \
        reference.regions()[0].sort_order == 0
    central = make_liaison("但馬", central=True)
    assert [u.id for u in team_for(changed)] == [central.id]
    created, updated = audits("region.created"), audits("region.updated")
    assert len(created) == 1 and created[0].detail["after"]["name"] == "新圏域"
    assert updated[0].detail["before"] == {"name": "新圏域", "has_liaison": True,
                                           "sort_order": 95, "round_cycle_months": 6}
    assert updated[0].detail["after"]["has_liaison"] is False
    listing = admin_client.get("/admin/regions").get_data(as_text=True)
    assert "改称圏域" in listing


def test_region_name_taken_or_empty(admin_client):
    data = {"name": "但馬", "sort_order": "1", "round_cycle_months": "3"}
    page = admin_client.post("/admin/regions/new", data=data).get_data(as_text=True)
    assert assert_japanese_error(page, "name") == "この圏域名は既に使われています。"
    assert 'value="但馬"' in control(page, "name")
    page = admin_client.post("/admin/regions/new", data=dict(data, name="", sort_order="x")
                             ).get_data(as_text=True)
    assert_japanese_error(page, "name")
    assert_japanese_error(page, "sort_order")
    assert 'value="x"' in control(page, "sort_order")
    assert db.session.scalar(sa.select(sa.func.count(Region.id)).where(Region.name == "但馬")) == 1
    assert not audits("region.created")


# --- membership history ----------------------------------------------------------------------

def test_seed_starts_one_open_membership_per_municipality(app):
    count = db.session.scalar(sa.select(sa.func.count(Municipality.id)))
    rows = db.session.execute(sa.select(RegionMembership.municipality_id, RegionMembership.region_id,
                                        RegionMembership.valid_from, RegionMembership.valid_to)).all()
    assert len(rows) == count == 41
    current = dict(db.session.execute(sa.select(Municipality.id, Municipality.region_id)).all())
    assert all(current[mid] == rid and start is None and end is None for mid, rid, start, end in rows)
    from supportdesk.services.seed import seed_reference

    seed_reference()  # idempotent
    assert db.session.scalar(sa.select(sa.func.count(RegionMembership.id))) == 41


def test_move_through_the_page_appends_history(admin_client):
    sayo = municipality("佐用町")
    page = admin_client.get(f"/admin/municipalities/{sayo.id}/region").get_data(as_text=True)
    assert "西播磨" in page
    # No region chosen: a message beside the field, nothing moved.
    page = admin_client.post(f"/admin/municipalities/{sayo.id}/region",
                             data={"region_id": "0"}).get_data(as_text=True)
    assert assert_japanese_error(page, "region_id") == "移動先の圏域を選んでください。"
    resp = admin_client.post(f"/admin/municipalities/{sayo.id}/region",
                             data={"region_id": str(region("中播磨").id)})
    assert resp.status_code == 302
    db.session.expire_all()
    sayo = municipality("佐用町")
    assert sayo.region.name == "中播磨"
    history = memberships(sayo)
    assert [(name, start is None, end is None) for name, start, end in history] == [
        ("西播磨", True, False), ("中播磨", False, True)]
    assert history[0][2] == history[1][1]  # closed when the next one starts
    [row] = audits("municipality.region_moved")
    assert row.target_id == str(sayo.id) and row.actor_id == admin_client.admin.id
    assert row.detail["before"]["region"] == "西播磨" and row.detail["after"]["region"] == "中播磨"
    assert {m.id: m.region_id for m in reference.municipalities()}[sayo.id] == region("中播磨").id
    page = admin_client.get(f"/admin/municipalities/{sayo.id}/region").get_data(as_text=True)
    assert "当初から" in page and "現在" in page  # the history, oldest first
    # Moving to where it already is: refused beside the field.
    page = admin_client.post(f"/admin/municipalities/{sayo.id}/region",
                             data={"region_id": str(region("中播磨").id)}).get_data(as_text=True)
    assert assert_japanese_error(page, "region_id") == "現在と同じ圏域です。別の圏域を選んでください。"
    assert len(memberships(sayo)) == 2


def test_open_requests_stay_with_their_team_new_ones_follow_the_move(app):
    admin = make_user("admin")
    west, central_h = make_liaison("西播磨"), make_liaison("中播磨")
    staff = make_staff("佐用町")
    open_before = make_request(staff, state="triage", liaison=west, now=jst(2025, 4, 10, 10))
    kept = move_municipality(admin, municipality("佐用町"), region("中播磨"), now=jst(2025, 5, 1))
    db.session.commit()
    assert kept == 1
    assert audits("municipality.region_moved")[0].detail["open_requests_kept"] == 1
    db.session.expire_all()
    assert db.session.get(SupportRequest, open_before.id).region.name == "西播磨"
    after = make_request(staff, now=jst(2025, 5, 7, 10))
    assert after.region.name == "中播磨"

    # The team that has it keeps working it (its notices, its 回答待ち); the new region's
    # team gets the requests filed after the move.
    assert [u.id for u in team_for(open_before.region)] == [west.id]
    assert [u.id for u in team_for(after.region)] == [central_h.id]
    assert can(west, "wait", open_before) and not can(central_h, "wait", open_before)
    assert can(central_h, "wait", after) and not can(west, "wait", after)


# --- reports keep the past -------------------------------------------------------------------

def _by_region(rep):
    return {row["label"]: row["value"] for row in rep["by_region"]}


def test_past_reports_count_in_the_region_of_their_time(app):
    """佐用町 moves from 西播磨 to 中播磨 on 1 May 2025: April's report, by region and for each
    region, reads the same afterwards; May counts 佐用町's new request and contacts in 中播磨."""
    admin = make_user("admin")
    west = make_liaison("西播磨")
    sayo_staff, kamigori = make_staff("佐用町"), make_staff("上郡町")
    make_request(sayo_staff, now=jst(2025, 4, 10, 10))
    make_request(kamigori, now=jst(2025, 4, 11, 10))
    db.session.add(Visit(kind="round", state="held", title="定期巡回", starts_at=jst(2025, 4, 17, 10),
                         ends_at=jst(2025, 4, 17, 11), municipalities=[municipality("佐用町")],
                         created_by_id=west.id))
    db.session.commit()
    west_id, naka_id = region("西播磨").id, region("中播磨").id

    def reports():
        """April for the whole prefecture, for 西播磨 and for 中播磨, and the fiscal year."""
        return {"whole": build_monthly_report(2025, 4),
                "west": build_monthly_report(2025, 4, [west_id]),
                "naka": build_monthly_report(2025, 4, [naka_id])}

    before, fy_before = reports(), build_fiscal_summary(2025, [west_id])
    assert _by_region(before["whole"]) == {"西播磨": 2}
    w, n = before["west"]["reach"], before["naka"]["reach"]
    assert (w["month"], w["total"], n["month"], n["total"]) == (2, 7, 0, 4)
    assert {r["region"]: (r["visited"], r["total"]) for r in w["rounds"]} == {"西播磨": (1, 7)}
    move_municipality(admin, municipality("佐用町"), region("中播磨"), now=jst(2025, 5, 1))
    db.session.commit()
    after = reports()
    for key in before:  # every figure and list of the past month, unchanged
        assert after[key] == before[key], key
    # The fiscal year's April and its counts stay; its number of municipalities is the
    # region's at the year's end (the move fell inside the year).
    fy_after = build_fiscal_summary(2025, [west_id])
    assert fy_after["months"][0] == fy_before["months"][0]
    assert {k: fy_after["totals"][k] for k in ("new", "reach")} == {"new": 2, "reach": 2}
    assert (fy_before["totals"]["municipalities"], fy_after["totals"]["municipalities"]) == (7, 6)

    # May: 佐用町's new request and its contacts are 中播磨's; 西播磨 now has 6.
    make_request(sayo_staff, now=jst(2025, 5, 12, 10))
    may = build_monthly_report(2025, 5)
    assert _by_region(may) == {"中播磨": 1}
    w, n = build_monthly_report(2025, 5, [west_id]), build_monthly_report(2025, 5, [naka_id])
    assert (w["reach"]["month"], w["reach"]["total"]) == (0, 6)
    assert (n["reach"]["month"], n["reach"]["total"]) == (1, 5)
    # The fiscal year so far counts each contact in the region of its day.
    assert build_monthly_report(2025, 5, [west_id])["reach"]["fiscal_year"] == 2
    assert build_monthly_report(2025, 5, [naka_id])["reach"]["fiscal_year"] == 1


def test_0038_starts_the_history_of_existing_municipalities(blank_app):
    from flask_migrate import downgrade, upgrade

    from supportdesk.services.seed import seed_reference

    upgrade(revision="0037")
    assert seed_reference() == 41  # a desk as it was before the history existed
    db.session.commit()
    db.session.remove()
    upgrade()
    rows = db.session.execute(sa.text(
        "SELECT m.region_id = h.region_id, h.valid_from IS NULL AND h.valid_to IS NULL "
        "FROM municipalities m JOIN region_memberships h ON h.municipality_id = m.id")).all()
    assert len(rows) == 41 and all(same and open_ for same, open_ in rows)
    db.session.remove()
    downgrade(revision="0037")
    assert not sa.inspect(db.engine).has_table("region_memberships")


def test_the_desk_sender_and_colour_reach_mail_and_pages(app, admin_client):
    """The pack's (then the admin's) sender is the From of the desk's mail unless the
    deployment fixes one (MAIL_FROM), and its colour is the pages' accent colour."""
    from supportdesk.notifications.channels.email import build_message

    msg = {"subject": "件名", "to_address": "x@example.jp", "body": "本文",
           "idempotency_key": "k1", "payload": {}}
    app.config["MAIL_FROM"] = None
    assert admin_client.post("/admin/desk", data=PROFILE).status_code == 302
    assert build_message(msg, app.config)["From"] == "desk@pref.example.lg.jp"
    app.config["MAIL_FROM"] = "relay@pref.example.lg.jp"  # the deployment's fixed sender wins
    assert build_message(msg, app.config)["From"] == "relay@pref.example.lg.jp"
    page = admin_client.get("/admin/desk").get_data(as_text=True)
    assert "relay@pref.example.lg.jp" in page  # the admin is told the setting is overridden
    css_link = [line for line in page.splitlines() if "desk.css" in line]
    assert css_link, "no stylesheet with the desk's colour"
    href = css_link[0].split('href="')[1].split('"')[0]
    css = admin_client.get(href)
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "--accent:#123abc" in css.get_data(as_text=True).replace(" ", "")


def test_a_desk_colour_must_keep_white_text_readable(admin_client):
    """White text on the accent colour (buttons) and the colour on white (links) need 4.5:1."""
    page = admin_client.post("/admin/desk", data=dict(PROFILE, colour="#7fbfff")).get_data(
        as_text=True)
    assert_japanese_error(page, "colour")
    assert 'value="#7fbfff"' in control(page, "colour")
