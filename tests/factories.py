"""Plain factories for the core objects. Each one commits, like a finished request would."""
import itertools

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import ExpertProfile, Municipality, Region, Theme, User
from supportdesk.services.auth import hash_password

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def municipality(name_or_code):
    col = Municipality.code if name_or_code.isdigit() else Municipality.name
    return db.session.scalar(sa.select(Municipality).where(col == name_or_code))


def region(name):
    return db.session.scalar(sa.select(Region).where(Region.name == name))


def theme(code):
    return db.session.scalar(sa.select(Theme).where(Theme.code == code))


def make_user(role="municipal_staff", *, municipality_name="佐用町", regions=(), email=None,
              name=None, password=PASSWORD, commit=True, **fields):
    n = next(_seq)
    user = User(email=email or f"user{n}@test.example.jp", display_name=name or f"利用者{n}",
                role=role, password_hash=hash_password(password), **fields)
    if role == "municipal_staff":
        user.municipality = municipality(municipality_name)
    if role == "liaison":
        user.regions = [region(r) for r in regions]
    db.session.add(user)
    if commit:
        db.session.commit()
    return user


def make_staff(municipality_name="佐用町", info_dept=False, **fields):
    return make_user("municipal_staff", municipality_name=municipality_name,
                     is_information_dept=info_dept, **fields)


def make_liaison(*regions, central=False, **fields):
    return make_user("liaison", regions=regions or ("西播磨",), is_central_team=central, **fields)


def make_expert(kind="DXアドバイザー", themes=(), home_region="西播磨", **fields):
    user = make_user("expert", commit=False, **fields)
    db.session.add(ExpertProfile(user=user, kind=kind, home_region=region(home_region),
                                 themes=[theme(c) for c in themes]))
    db.session.commit()
    return user


def make_request(filer, kind="consultation", *, submit=True, now=None, commit=True, **fields):
    """A request filed through the real service (submitted unless submit=False)."""
    from datetime import datetime, timedelta

    from supportdesk.services.request_filing import create_request
    from supportdesk.timeutil import JST

    fields.setdefault("title", "テスト用の相談")
    fields.setdefault("body", "窓口の手続をオンライン化したい")
    if kind == "lecture":
        day = datetime(2099, 6, 1, 14, 0, tzinfo=JST)
        fields.setdefault("program", "kaizen")
        fields.setdefault("candidate_dates", [(day, day + timedelta(hours=3)),
                                              (day + timedelta(days=7),
                                               day + timedelta(days=7, hours=3))])
    sreq = create_request(filer, kind, submit=submit, now=now, **fields)
    if commit:
        db.session.commit()
    return sreq
