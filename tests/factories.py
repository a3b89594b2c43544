"""Plain factories for the core objects. Each one commits, like a finished request would.

Three request factories, for three needs:
- make_request: through the real filing service (create_request / submit_request): FY number,
  routing, 情報部門 sharing, events. Use it unless the test needs something the service refuses.
- make_request_direct: a submitted request in one line from names (municipality, theme codes,
  co-applicants; a staff filer is made when none is given), without the filing rules (no body
  or candidate dates needed), at any `submitted_at`: permission, search, history, job tests.
- make_visit_request: a request already in any `state` (triage, scheduled...) with candidate
  dates, no events and a T-number: visit tests that do not care how the request got there.
"""
import itertools

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Department, ExpertProfile, Municipality, Region, Theme, User
from supportdesk.services.accounts.auth import hash_password

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


def make_department(name="デジタル改革課", contact_email="digital@pref.example.jp", *,
                    active=True):
    """A prefectural department of the managed list (県の関係部署)."""
    import secrets

    dept = db.session.scalar(sa.select(Department).where(Department.name == name))
    if dept is None:
        dept = Department(name=name, contact_email=contact_email, active=active,
                          link_nonce=secrets.token_hex(16))
        db.session.add(dept)
        db.session.commit()
    return dept


def make_liaison(*regions, central=False, **fields):
    return make_user("liaison", regions=regions or ("西播磨",), is_central_team=central, **fields)


def make_expert(kind="DXアドバイザー", themes=(), home_region="西播磨", **fields):
    user = make_user("expert", commit=False, **fields)
    db.session.add(ExpertProfile(user=user, kind=kind, home_region=region(home_region),
                                 themes=[theme(c) for c in themes]))
    db.session.commit()
    return user


def make_request_direct(municipality_name="佐用町", *, filer=None, kind="consultation", title=None,
                 body="", themes=(), co=(), submitted_at=None, commit=True, **fields):
    """A submitted request built directly (no filing rules), numbered from the fiscal year's
    counter and submitted with apply_action. Prefer make_request when filing itself matters."""
    from datetime import UTC, datetime

    from supportdesk.models import SupportRequest
    from supportdesk.services.requests.filing import next_request_number
    from supportdesk.services.requests.transitions import apply_action
    from supportdesk.timeutil import fiscal_year, fiscal_year_short

    muni = municipality(municipality_name)
    filer = filer or make_staff(municipality_name)
    at = submitted_at or datetime.now(UTC)
    n = next(_seq)
    sreq = SupportRequest(kind=kind, municipality_id=muni.id, region_id=muni.region_id,
                          filer_id=filer.id, created_by_id=filer.id, title=title or f"依頼{n}",
                          body=body, created_at=at, updated_at=at, **fields)
    sreq.themes = [theme(c) for c in themes]
    sreq.co_municipalities = [municipality(c) for c in co]
    db.session.add(sreq)
    db.session.flush()
    fy = fiscal_year(at)
    seq = next_request_number(fy)  # the same counter as the service: numbers never collide
    sreq.fiscal_year, sreq.seq, sreq.number = fy, seq, f"{fiscal_year_short(fy)}-{seq:04d}"
    sreq.submitted_at = at
    apply_action(sreq, "submit", filer, now=at)
    if commit:
        db.session.commit()
    return sreq


def advance_request(sreq, state, liaison, *, now=None):
    """Drive a submitted request on to `state` through the state machine as `liaison`."""
    from supportdesk.demo.requests import PATHS
    from supportdesk.services.requests.transitions import apply_action

    path = PATHS["lecture_closed" if state == "closed" and sreq.kind == "lecture" else state]
    for action in path[1:]:
        apply_action(sreq, action, liaison, reason="テスト", now=now)
    db.session.commit()
    return sreq


def make_request(filer, kind="consultation", *, submit=True, now=None, commit=True, **fields):
    """A request filed through the real service (submitted unless submit=False)."""
    from datetime import datetime, timedelta

    from supportdesk.services.requests.filing import create_request
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


def make_visit_request(*, municipality_name="佐用町", kind="lecture", state="triage", filer=None,
                 title=None, candidates=(), co_municipalities=(), **fields):
    """A request put straight into `state` (no events, no transitions), numbered T-nnnnn in a
    far fiscal year so it never meets the real counter, with candidate dates given as
    (starts_at, ends_at) aware datetimes. For visit tests; use make_request for filing."""
    from supportdesk.models import LectureCandidateDate, SupportRequest

    n = next(_seq)
    muni = municipality(municipality_name)
    filer = filer or make_staff(municipality_name)
    sreq = SupportRequest(kind=kind, state=state, municipality_id=muni.id, region_id=muni.region_id,
                          filer_id=filer.id, created_by_id=filer.id, title=title or f"依頼{n}",
                          fiscal_year=2099, seq=n, number=f"T-{n:05d}", **fields)
    if sreq.submitted_at is None:
        from supportdesk.timeutil import utcnow

        sreq.submitted_at = utcnow()
    sreq.co_municipalities = [municipality(m) for m in co_municipalities]
    for rank, (start, end) in enumerate(candidates, 1):
        sreq.candidate_dates.append(LectureCandidateDate(rank=rank, starts_at=start, ends_at=end))
    db.session.add(sreq)
    db.session.commit()
    return sreq


def make_queue_request(title="相談の件名", *, municipality_name="佐用町", kind="consultation",
                 state="submitted", body="", prework=None, filer=None, assignee=None,
                 themes=(), submitted_at=None, first_response_at=None, comments=(),
                 commit=True, **fields):
    """A submitted request with a number (R6-0001...), region routing, filer and search text.

    comments: (body, internal) pairs, added as replies / internal notes before the search text
    is computed.
    """
    from datetime import timedelta

    from supportdesk.models import RequestComment, SupportRequest
    from supportdesk.services.requests.response_target import first_response_due
    from supportdesk.services.requests.search import refresh_search_text
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


def office_file(kind="docx", extra_entries=(), content_types=True):
    """Bytes of a minimal but real OOXML file (a zip with [Content_Types].xml), as Word, Excel
    and PowerPoint write them; extra_entries are (name, bytes) added to the archive."""
    import io
    import zipfile

    part = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml",
            "pptx": "ppt/presentation.xml"}[kind]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        if content_types:
            archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns='
                             '"http://schemas.openxmlformats.org/package/2006/content-types"/>')
        archive.writestr(part, "<?xml version=\"1.0\"?><root>議事録</root>")
        for name, data in extra_entries:
            archive.writestr(name, data)
    return buf.getvalue()
