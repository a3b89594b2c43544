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


def make_request(title="相談の件名", *, municipality_name="佐用町", kind="consultation",
                 state="submitted", body="", prework=None, filer=None, assignee=None,
                 themes=(), submitted_at=None, first_response_at=None, comments=(),
                 commit=True, **fields):
    """A submitted request with a number (R6-0001...), region routing, filer and search text.

    comments: (body, internal) pairs, added as replies / internal notes before the search text
    is computed.
    """
    from datetime import timedelta

    from supportdesk.models import RequestComment, SupportRequest
    from supportdesk.services.queue import first_response_due
    from supportdesk.services.search import refresh_search_text
    from supportdesk.timeutil import fiscal_year, fiscal_year_short, utcnow

    muni = municipality(municipality_name)
    if filer is None:
        filer = db.session.scalar(sa.select(User).where(
            User.role == "municipal_staff", User.municipality_id == muni.id).limit(1)) \
            or make_staff(municipality_name)
    submitted_at = submitted_at or (utcnow() - timedelta(minutes=next(_seq)))
    fy = fiscal_year(submitted_at)
    seq = (db.session.scalar(sa.select(sa.func.max(SupportRequest.seq)).where(
        SupportRequest.fiscal_year == fy)) or 0) + 1
    sreq = SupportRequest(
        kind=kind, state=state, municipality_id=muni.id, region_id=muni.region_id,
        filer_id=filer.id, created_by_id=filer.id, title=title, body=body, prework=prework,
        assignee_id=assignee.id if assignee is not None else None, fiscal_year=fy, seq=seq,
        number=f"{fiscal_year_short(fy)}-{seq:04d}", created_at=submitted_at,
        updated_at=submitted_at, submitted_at=submitted_at,
        first_response_due_at=first_response_due(submitted_at),
        first_response_at=first_response_at, **fields)
    sreq.themes = [theme(c) for c in themes]
    db.session.add(sreq)
    db.session.flush()
    for text, internal in comments:
        db.session.add(RequestComment(request_id=sreq.id, author_id=filer.id, body=text,
                                      internal=internal, created_at=submitted_at))
    db.session.flush()
    refresh_search_text(sreq)
    if commit:
        db.session.commit()
    return sreq
