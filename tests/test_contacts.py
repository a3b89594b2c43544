"""The contact directory: who keeps it, who proposes, who reads it, validation, and targeting
announcements at contact roles (in-app for contacts with an account, mail through the outbox
for the others)."""
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import AuditLog, Contact, InAppNotification, OutboxMessage
from supportdesk.permissions import PermissionDenied, can, can_in
from supportdesk.services import ValidationFailed
from supportdesk.services.announcements import compose_announcement
from supportdesk.services.contacts.directory import (add_contact, contacts_with_role,
                                                     end_contact, scope_contacts, update_contact)
from supportdesk.services.contacts.proposals import decide_proposal, propose_contact_change
from tests.factories import (make_contact, make_contact_proposal, make_liaison, make_staff,
                             make_user, municipality)

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def test_a_liaison_keeps_the_directory_of_their_regions_only_and_every_write_is_audited(app):
    west = make_liaison("西播磨")
    sayo = municipality("佐用町")
    c = add_contact(west, sayo, role="cio", name="山本 健一", kana="やまもと けんいち",
                    title="副町長", email="Yamamoto@Town.Sayo.example.jp", phone="0790-82-2521",
                    valid_from="2024-04-01", now=NOW)
    db.session.commit()
    assert c.email == "yamamoto@town.sayo.example.jp" and c.valid_to is None
    update_contact(west, c, department="総務課", now=NOW)
    end_contact(west, c, "2027-03-31", now=NOW)
    db.session.commit()
    assert c.valid_to == date(2027, 3, 31)
    actions = db.session.scalars(sa.select(AuditLog.action).where(
        AuditLog.target_type == "Contact", AuditLog.target_id == str(c.id))
        .order_by(AuditLog.id)).all()
    assert actions == ["contact.added", "contact.updated", "contact.updated"]
    with pytest.raises(PermissionDenied):
        add_contact(west, municipality("豊岡市"), role="cio", name="x", valid_from="2024-04-01")
    central = make_liaison("西播磨", central=True)
    assert can_in(central, "manage", "contact", municipality("神戸市"))
    assert not can_in(west, "manage", "contact", municipality("神戸市"))


def test_wrong_values_are_refused_beside_their_field_in_japanese(app):
    west = make_liaison("西播磨")
    sayo = municipality("佐用町")
    good = dict(role="cio", name="山本", valid_from="2024-04-01")
    stranger = make_staff("豊岡市")
    for change, field in ((dict(role="boss"), "role"), (dict(name=" "), "name"),
                          (dict(email="no-at-sign"), "email"), (dict(valid_from=""), "valid_from"),
                          (dict(valid_to="2023-01-01"), "valid_to"),
                          (dict(valid_from="2024/4/1"), "valid_from"),
                          (dict(user_id=stranger.id), "user_id")):
        with pytest.raises(ValidationFailed) as err:
            add_contact(west, sayo, **{**good, **change})
        assert err.value.field == field
        assert any("\u3040" <= ch <= "\u9fff" for ch in str(err.value))


def test_staff_read_only_their_own_municipalitys_contacts_and_managers_read_all(app, client,
                                                                               login_as):
    mine = make_contact("佐用町", "mayor", name="庵逧 典章")
    other = make_contact("豊岡市", "mayor", name="関貫 久仁郎")
    staff = make_staff("佐用町")
    stmt = scope_contacts(sa.select(Contact.id), staff)
    assert set(db.session.scalars(stmt)) == {mine.id}
    assert can(staff, "view", mine) and not can(staff, "view", other)
    assert not can(staff, "propose", mine)  # only the 情報部門 proposes
    manager = make_user("manager")
    assert set(db.session.scalars(scope_contacts(sa.select(Contact.id), manager))) >= {
        mine.id, other.id}
    login_as(staff)
    assert client.get(f"/municipalities/{other.municipality.code}/contacts").status_code == 404
    page = client.get(f"/municipalities/{mine.municipality.code}/contacts")
    assert page.status_code == 200 and "庵逧 典章" in page.get_data(as_text=True)


def test_the_info_dept_proposes_and_a_liaison_accepts_or_rejects(app):
    info = make_staff("佐用町", info_dept=True)
    west = make_liaison("西播磨")
    old = make_contact("佐用町", "info_head", name="前任 部長")
    add = make_contact_proposal(info, "add", role="info_head", name="新任 部長",
                                valid_from="2027-04-01", note="4月の異動")
    end = make_contact_proposal(info, "end", contact=old, valid_to="2027-03-31")
    with pytest.raises(PermissionDenied):
        decide_proposal(info, add, "accept")
    with pytest.raises(PermissionDenied):
        decide_proposal(make_liaison("但馬"), add, "accept")
    decide_proposal(west, add, "accept", now=NOW)
    decide_proposal(west, end, "reject", note="まだ在任中", now=NOW)
    db.session.commit()
    assert add.status == "accepted" and add.contact.name == "新任 部長"
    assert add.contact.valid_from == date(2027, 4, 1)
    assert end.status == "rejected" and old.valid_to is None
    with pytest.raises(ValidationFailed):
        decide_proposal(west, add, "accept")
    with pytest.raises(PermissionDenied):  # another municipality's contact
        propose_contact_change(info, info.municipality, "end",
                               contact=make_contact("豊岡市"), valid_to="2027-03-31")
    with pytest.raises(ValidationFailed) as err:
        propose_contact_change(info, info.municipality, "add", role="cio", name="",
                               valid_from="2027-04-01")
    assert err.value.field == "name"


def test_contacts_with_role_takes_those_in_office_on_the_day(app):
    now_cio = make_contact("佐用町", "cio", name="現任")
    make_contact("佐用町", "cio", name="前任", valid_to=date(2024, 3, 31),
                 valid_from=date(2020, 4, 1))
    make_contact("佐用町", "cio", name="次期", valid_from=date(2099, 4, 1))
    toyooka = make_contact("豊岡市", "cio", name="豊岡の CIO")
    make_contact("豊岡市", "mayor")
    on = date(2026, 12, 1)
    assert [c.name for c in contacts_with_role(["cio"], [municipality("佐用町")], on=on)] == ["現任"]
    everywhere = contacts_with_role(["cio"], on=on)
    assert {c.id for c in everywhere} >= {now_cio.id, toyooka.id}
    assert "前任" not in {c.name for c in everywhere}
    assert contacts_with_role([], on=on) == []


def test_an_announcement_to_every_cio_reaches_accounts_in_app_and_others_by_mail(app):
    liaison = make_liaison("西播磨")
    cio_user = make_staff("佐用町", name="佐用のCIO")
    make_contact("佐用町", "cio", user=cio_user, email="sayo-cio@town.example.jp")
    make_contact("相生市", "cio", email="aioi-cio@city.example.jp")
    plain_staff = make_staff("佐用町", info_dept=True)
    make_contact("相生市", "mayor", email="aioi-mayor@city.example.jp")
    a = compose_announcement(liaison, title="CIOフォーラムのご案内", body="1月に開催します。",
                             category="研修・セミナー", target_all=True, contact_roles=["cio"],
                             now=NOW)
    db.session.commit()
    assert a.target_contact_roles == ["cio"]
    bells = set(db.session.scalars(sa.select(InAppNotification.user_id).where(
        InAppNotification.announcement_id == a.id)))
    assert cio_user.id in bells and plain_staff.id not in bells
    mails = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.announcement_id == a.id, OutboxMessage.channel == "email")).all()
    assert {m.to_address for m in mails} == {"aioi-cio@city.example.jp"}
    assert "1月に開催します。" in mails[0].body and "/announcements/" not in mails[0].body
    with pytest.raises(ValidationFailed) as err:
        compose_announcement(liaison, title="t", body="b", category="その他", target_all=True,
                             contact_roles=["king"], now=NOW)
    assert err.value.field == "contact_roles"


def test_the_contact_form_keeps_what_was_typed_and_names_the_wrong_field(app, client, login_as):
    c = make_contact("佐用町", "cio", name="山本 健一")
    login_as(make_liaison("西播磨"))
    assert client.get(f"/contacts/{c.id}/edit").status_code == 200
    refused = client.post(f"/contacts/{c.id}/edit", data={
        "role": "cio", "name": "山本 健二", "email": "yamamoto@", "valid_from": "2024-04-01"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "メールアドレスの形式が正しくありません。" in body
    assert 'value="山本 健二"' in body
    info = make_staff("佐用町", info_dept=True)
    login_as(info)
    proposed = client.post("/municipalities/28501/contacts", data={
        "role": "dx_officer", "name": "新任 担当", "valid_from": "2027-04-01"})
    assert proposed.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Contact.id)).where(
        Contact.name == "新任 担当")) == 0  # a proposal, not yet a contact
    assert "新任 担当" in client.get("/municipalities/28501/contacts").get_data(as_text=True)
