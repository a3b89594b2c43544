"""Plain factories for the core objects, one per model. Each one commits, like a finished
request would. Requests are made only through the services (make_request): the real filing
rules, the fiscal year's counter and the state machine, so a test cannot build a request that
the desk could never hold.
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
    if role == "liaison":
        # As the account services do, in this process: the cached liaison pickers learn of the
        # new liaison (no version row: tests run one process, and a schema migrated to an old
        # revision has no such table).
        from supportdesk.services.reference import forget_reference_lists

        forget_reference_lists()
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


def make_request(filer=None, kind="consultation", *, state="submitted", municipality_name="佐用町",
                 liaison=None, assignee=None, now=None, themes=(), co=(), comments=(),
                 commit=True, **fields):
    """The one way tests make a request: filed through the filing service (the fiscal year's
    number, routing, 情報部門 share, events) by `filer` (a staff member of `municipality_name`
    is made when none is given), then driven to `state` through the state machine, each step
    by whom the table allows (the filer, or `liaison`, a liaison of the request's region made
    when needed). `now` is when it all happens (default: now); `fields` are the filing form's
    fields; `comments` are (body, internal) pairs written through the conversation service."""
    from datetime import datetime, timedelta

    from supportdesk.roles import Role
    from supportdesk.services.requests.conversation import add_comment
    from supportdesk.services.requests.filing import create_request
    from supportdesk.services.requests.transitions import apply_action
    from supportdesk.timeutil import JST
    from supportdesk.workflow import State, path_to, transition_for

    from supportdesk.services.requests.queue_assign import bulk_assign

    filer = filer or make_staff(municipality_name)
    if themes:
        fields["theme_ids"] = [theme(c).id for c in themes]
    if co:
        fields["co_municipality_ids"] = [municipality(m).id for m in co]
    fields.setdefault("title", f"テスト用の相談{next(_seq)}")
    fields.setdefault("body", "窓口の手続をオンライン化したい")
    if kind == "lecture":
        day = datetime(2099, 6, 1, 14, 0, tzinfo=JST)  # a Monday, far from any holiday
        fields.setdefault("program", "kaizen")
        fields.setdefault("candidate_dates", [(day, day + timedelta(hours=3)),
                                              (day + timedelta(days=7),
                                               day + timedelta(days=7, hours=3))])
    state = State(state)
    sreq = create_request(filer, kind, submit=state != State.DRAFT, now=now, **fields)
    for body, internal in comments:
        author = filer if not internal else (liaison or _liaison_for(sreq))
        add_comment(sreq, author, body, internal=internal, now=now)
    if state not in (State.DRAFT, State.SUBMITTED):
        avoid = ("answer",) if kind == "lecture" and state != State.ANSWERED else ()
        for action in path_to(state, start=State.SUBMITTED, avoid=avoid):
            by = transition_for(sreq.state, action).by
            actor = filer if Role.LIAISON not in by else (liaison or _liaison_for(sreq))
            liaison = actor if Role.LIAISON in by else liaison
            apply_action(sreq, action, actor, reason="テスト", now=now)
    if assignee is not None:
        done, refused = bulk_assign(assignee, [sreq.id], assignee, now=now)
        assert not refused, f"{assignee.email} may not be assigned {sreq.display_number}"
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return sreq


def _liaison_for(sreq):
    """A liaison of the request's region (made once per region and reused)."""
    found = db.session.scalar(sa.select(User).where(User.role == "liaison",
                                                    User.regions.any(id=sreq.region_id))
                              .order_by(User.id).limit(1))
    return found or make_liaison(sreq.region.name)


def advance_request(sreq, state, liaison, *, now=None):
    """Drive an existing request on to `state` through the state machine as `liaison` (the
    filer where only staff may act)."""
    from supportdesk.roles import Role
    from supportdesk.services.requests.transitions import apply_action
    from supportdesk.workflow import path_to, transition_for

    avoid = ("answer",) if sreq.kind == "lecture" and state != "answered" else ()
    for action in path_to(state, start=sreq.state, avoid=avoid):
        by = transition_for(sreq.state, action).by
        actor = liaison if Role.LIAISON in by else sreq.filer
        apply_action(sreq, action, actor, reason="テスト", now=now)
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


def make_contact(municipality_name="佐用町", role="cio", *, name=None, valid_from=None,
                 valid_to=None, user=None, email=None, **fields):
    """A contact of the directory (連絡先), stored as a liaison's accepted entry would be."""
    from datetime import date

    from supportdesk.models import Contact

    n = next(_seq)
    c = Contact(municipality_id=municipality(municipality_name).id, role=role,
                name=name or f"連絡先{n}", email=email if email is not None
                else f"contact{n}@town.example.jp", valid_from=valid_from or date(2024, 4, 1),
                valid_to=valid_to, user_id=user.id if user is not None else None, **fields)
    db.session.add(c)
    db.session.commit()
    return c


def make_contact_proposal(proposer, kind="add", *, contact=None, **values):
    """A 情報部門 proposal, made through the proposal service."""
    from supportdesk.services.contacts.proposals import propose_contact_change

    values.setdefault("role", "dx_officer")
    values.setdefault("name", f"提案{next(_seq)}")
    values.setdefault("valid_from", "2026-04-01")
    p = propose_contact_change(proposer, proposer.municipality, kind, contact=contact, **values)
    db.session.commit()
    return p


def make_departure(actor, user, leaves_on):
    """A person marked as leaving, through the handover service."""
    from supportdesk.services.contacts.handover import mark_leaving

    d = mark_leaving(actor, user.municipality, user, leaves_on)
    db.session.commit()
    return d


def make_handover_confirmation(actor, municipality_obj, *, now=None):
    from supportdesk.services.contacts.handover import confirm_handover

    c = confirm_handover(actor, municipality_obj, now=now)
    db.session.commit()
    return c


def make_status_item(key="test_item", item_type="yesno", *, group="priority", steps=None,
                     label_ja="テスト項目", active=True):
    """A catalogue item (StatusItem) beside the seeded ones."""
    from supportdesk.models import StatusItem

    item = StatusItem(key=key, label_ja=label_ja, label_en="Test item", item_type=item_type,
                      item_group=group, steps=steps, active=active, sort_order=999)
    db.session.add(item)
    db.session.commit()
    return item


def make_status_value(m, key, value, *, as_of, actor=None, source_kind="import", now=None):
    """A tracker value (StatusValue), through the tracker's service."""
    from datetime import UTC, datetime

    from supportdesk.services.municipalities.status import record_status

    row = record_status(m, key, value, actor=actor, source_kind=source_kind, as_of=as_of,
                        now=now or datetime(2026, 11, 16, 3, tzinfo=UTC))
    db.session.commit()
    return row


def make_system_migration(m, system_code="juki", status="preparing", *, as_of, actor=None,
                          now=None, **fields):
    """A standardisation row (SystemMigration), through its service."""
    from datetime import UTC, datetime

    from supportdesk.services.municipalities.standardisation import record_migration

    row = record_migration(m, system_code, actor=actor, status=status, source_kind="import",
                           as_of=as_of, now=now or datetime(2026, 11, 16, 3, tzinfo=UTC),
                           **fields)
    db.session.commit()
    return row


def make_survey(author=None, *, title="DX人材の配置状況調査", deadline=None, questions=None,
                open_it=True, now=None, region_ids=None, municipality_names=("佐用町", "神河町"),
                reminder_days=3, **settings):
    """A survey built and (by default) opened through the services. `questions` are
    (kind, label, options) or dicts of add_question's fields; the default is a number and a
    single choice. Targets the named municipalities unless region_ids or target_all say else."""
    from datetime import timedelta

    from supportdesk.services.surveys.building import add_question, create_survey, open_survey
    from supportdesk.timeutil import JST, utcnow

    now = now or utcnow()
    author = author or make_liaison("西播磨")
    deadline = deadline or (now.astimezone(JST).date() + timedelta(days=14))
    mids = [] if region_ids is not None else [municipality(n).id for n in municipality_names]
    survey = create_survey(author, title=title, purpose="県内市町の状況を把握するため。",
                           deadline=deadline, reminder_days=reminder_days,
                           region_ids=region_ids or (), municipality_ids=mids, now=now,
                           **settings)
    for q in questions if questions is not None else (
            ("number", "DX担当職員数(人)", None), ("single_choice", "CIOを任命していますか",
                                                ["はい", "いいえ"])):
        fields = q if isinstance(q, dict) else dict(kind=q[0], label=q[1], options=q[2])
        add_question(survey, author, now=now, **fields)
    if open_it:
        open_survey(survey, author, now=now)
    db.session.commit()
    return survey


def legacy_user(role, *, municipality_name=None, regions=()):
    """A user written with Core, for databases migrated only to an old revision: the ORM would
    write the columns users gained later (network, 0029). Returns an object with the id."""
    import types

    import sqlalchemy as sa

    n = next(_seq)
    values = dict(email=f"legacy{n}@test.example.jp", display_name=f"利用者{n}", role=role,
                  password_hash=hash_password(PASSWORD))
    if municipality_name:
        values["municipality_id"] = municipality(municipality_name).id
    uid = db.session.execute(sa.insert(User.__table__).values(**values)).inserted_primary_key[0]
    if regions:
        from supportdesk.models.user import liaison_regions

        db.session.execute(sa.insert(liaison_regions), [
            {"user_id": uid, "region_id": region(r).id} for r in regions])
    db.session.commit()
    return types.SimpleNamespace(id=uid, email=values["email"], role=role)
