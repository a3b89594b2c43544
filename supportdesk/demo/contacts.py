"""Demo contact directory for `flask seed --demo`: role-holders for all 41 municipalities (the
names are invented), some with their term ended or ending, one pending proposal from 佐用町's
情報部門, and 神河町's handover confirmed for the year. Made through the contact services;
idempotent (a municipality that has contacts is left as it is)."""
from datetime import date

import sqlalchemy as sa

from ..extensions import db
from ..models import Contact, ContactProposal, Municipality, User
from ..services.contacts.directory import add_contact, today_jst, update_contact
from ..services.contacts.handover import (confirm_handover, confirmation_of,
                                          handover_fiscal_year)
from ..services.contacts.proposals import propose_contact_change
from ..timeutil import fiscal_year, utcnow
from .cast import demo_cast

DEMO_ADMIN = "admin@demo.example.jp"
SURNAMES = ("山本", "田中", "中村", "小林", "松本", "井上", "藤原", "岡田", "前田", "西村",
            "福田", "太田", "藤井", "村上", "大西", "上田", "森本", "谷口", "北村", "松田")
SURNAME_KANA = ("やまもと", "たなか", "なかむら", "こばやし", "まつもと", "いのうえ", "ふじわら",
                "おかだ", "まえだ", "にしむら", "ふくだ", "おおた", "ふじい", "むらかみ",
                "おおにし", "うえだ", "もりもと", "たにぐち", "きたむら", "まつだ")
GIVEN = (("健一", "けんいち"), ("直子", "なおこ"), ("誠", "まこと"), ("由美", "ゆみ"),
         ("浩二", "こうじ"), ("恵子", "けいこ"), ("隆", "たかし"), ("美穂", "みほ"),
         ("哲也", "てつや"), ("裕子", "ゆうこ"), ("修", "おさむ"))


def _person(i):
    s = i % len(SURNAMES)
    g = GIVEN[(i * 7) % len(GIVEN)]
    return f"{SURNAMES[s]} {g[0]}", f"{SURNAME_KANA[s]} {g[1]}"


def _entries(m, n, fy_start, cast):
    """The role-holders of municipality number n (by code order), as add_contact values."""
    town = m.kind in ("町", "村")
    head, vice = (f"{m.kind}長", f"副{m.kind}長") if town else ("市長", "副市長")
    domain = f"{m.code}.demo.example.jp"
    info_dept = "総務課 情報係" if town else "情報政策課"
    rows = [
        dict(role="mayor", title=head, department="", valid_from=date(2021 + n % 4, 5, 1)),
        dict(role="cio", title=vice if n % 3 else "総務部長", department="",
             valid_from=fy_start),
        dict(role="info_head", title="課長", department=info_dept, valid_from=date(2024, 4, 1),
             valid_to=date(fy_start.year + 1, 3, 31) if n % 5 == 0 else None),
        dict(role="dx_officer", title="主査", department=info_dept, valid_from=date(2025, 4, 1)),
    ]
    if n % 4 == 1:
        rows.append(dict(role="cio_adviser", title="CIO補佐官(外部人材)", department="",
                         valid_from=date(2025, 7, 1)))
    if n % 6 == 2:
        rows.append(dict(role="cdo", title="デジタル推進監", department="", valid_from=date(2024, 4, 1)))
    if n % 7 == 3:
        rows.append(dict(role="external_talent", title="DX推進アドバイザー(委嘱)", department="",
                         valid_from=date(2025, 10, 1), valid_to=date(2027, 3, 31)))
    # The previous CIO, whose term ended at the last fiscal year's end.
    rows.append(dict(role="cio", title=vice, department="", valid_from=date(2022, 4, 1),
                     valid_to=fy_start.fromordinal(fy_start.toordinal() - 1)))
    for i, row in enumerate(rows):
        name, kana = _person(n * 11 + i)
        row.update(name=name, kana=kana, email=f"{row['role'].replace('_', '-')}{i}@{domain}",
                   phone=cast(f"0790-{10 + n:02d}-{1000 + i * 37}"))
    return rows


def seed_demo_contacts(now=None):
    now = now or utcnow()
    cast = demo_cast()
    admin = db.session.scalar(sa.select(User).where(User.email == DEMO_ADMIN))
    if admin is None:
        return 0
    fy_start = date(fiscal_year(today_jst(now)), 4, 1)
    staff = {u.email: u for u in db.session.scalars(sa.select(User).where(
        User.municipality_id.is_not(None)))}
    created = 0
    munis = db.session.scalars(sa.select(Municipality).order_by(Municipality.code)).all()
    have = set(db.session.scalars(sa.select(Contact.municipality_id).distinct()))
    for n, m in enumerate(munis):
        if m.id in have:
            continue
        for row in _entries(m, n, fy_start, cast):
            add_contact(admin, m, now=now, **row)
            created += 1
    sayo_info = staff.get(cast("sayo.joho@demo.example.jp"))
    if sayo_info is not None:
        sayo = sayo_info.municipality
        officer = db.session.scalar(sa.select(Contact).where(
            Contact.municipality_id == sayo.id, Contact.role == "dx_officer"))
        if officer is not None and officer.user_id is None:  # the DX担当 has an account
            update_contact(admin, officer, now=now, name=sayo_info.display_name,
                           user_id=sayo_info.id, email=sayo_info.email, kana=None)
        if not db.session.scalar(sa.select(ContactProposal.id).where(
                ContactProposal.municipality_id == sayo.id)):
            propose_contact_change(sayo_info, sayo, "add", role="info_head", name="北村 恵子",
                                   kana="きたむら けいこ", title="課長", department="総務課 情報係",
                                   email=cast("info-head-next@28501.demo.example.jp"),
                                   valid_from=date(fy_start.year + 1, 4, 1),
                                   note="4月の人事異動で情報部門長が交代する予定です。", now=now)
    kamikawa_info = staff.get(cast("kamikawa.joho@demo.example.jp"))
    fy = handover_fiscal_year(today_jst(now))
    if kamikawa_info is not None and confirmation_of(kamikawa_info.municipality_id, fy) is None:
        confirm_handover(kamikawa_info, kamikawa_info.municipality, now=now,
                         note="異動者なし。連絡先も確認しました。")
    db.session.flush()
    return created
