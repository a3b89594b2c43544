"""The case library (事例): search, add and edit, cases from closed requests, introductions, seed."""
import csv
import logging
import unicodedata
from importlib import resources

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from .. import permissions
from ..extensions import db
from ..models import Case, SupportAction, SupportRequest, Theme
from ..notifications import notify
from ..timeutil import utcnow
from ..workflow import State
from . import ValidationFailed, reference
from .requests.search import escape_like
from .requests.transitions import record_event

logger = logging.getLogger(__name__)

PAGE_SIZE = 30
FIELDS = ("title", "organisation", "theme_id", "summary", "source", "url")


def normalise(text):
    """NFKC so that full-width letters and digits typed in a search match half-width ones."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _like(term):
    return f"%{escape_like(term)}%"


def case_search(q=None, theme_code=None):
    """The select of cases whose title, organisation or summary contain every word of `q`
    (substring match, so Japanese without word spaces works on both databases), optionally of
    one theme: the library page pages it by number, the API by cursor."""
    stmt = sa.select(Case).options(joinedload(Case.theme))
    for word in normalise(q).split():
        pattern = _like(word)
        stmt = stmt.where(sa.or_(Case.title.ilike(pattern, escape="\\"),
                                 Case.organisation.ilike(pattern, escape="\\"),
                                 Case.summary.ilike(pattern, escape="\\")))
    if theme_code:
        stmt = stmt.join(Theme, Theme.id == Case.theme_id).where(Theme.code == theme_code)
    return stmt


def search_cases(q=None, theme_code=None, page=1):
    """One page of case_search, newest first."""
    stmt = case_search(q, theme_code)
    page = max(1, page)
    stmt = stmt.order_by(Case.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    rows = db.session.scalars(stmt).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _validate(values):
    title = normalise(values.get("title"))
    if not title:
        raise ValidationFailed(_("タイトルを入力してください。"), field="title")
    if not normalise(values.get("organisation")):
        raise ValidationFailed(_("団体名を入力してください。"), field="organisation")
    if not (values.get("summary") or "").strip():
        raise ValidationFailed(_("概要を入力してください。"), field="summary")
    url = (values.get("url") or "").strip()
    if url and not url.startswith(("http://", "https://")):
        raise ValidationFailed(_("URLは http:// または https:// で始めてください。"), field="url")


def save_case(actor, case=None, *, now=None, **values):
    """Create or update a case (liaisons and admins)."""
    permissions.require(actor, "manage", "case")
    _validate(values)
    if case is None:
        case = Case(created_by_id=actor.id, created_at=now or utcnow())
        from_request_id = values.get("from_request_id")
        if from_request_id:
            sreq = db.session.get(SupportRequest, from_request_id)
            _check_source_request(sreq, actor)
            case.from_request_id = sreq.id
        db.session.add(case)
    for name in FIELDS:
        value = values.get(name)
        if isinstance(value, str):
            value = value.strip() or None
        setattr(case, name, value)
    db.session.flush()
    reference.bump_reference_version()  # the case pickers
    logger.info("case %s saved by user %s", case.id, actor.id)
    return case


def _check_source_request(sreq, actor):
    if sreq is None or not permissions.can(actor, "view", sreq):
        raise permissions.PermissionDenied("source request not visible")
    if sreq.state != State.CLOSED.value:
        raise ValidationFailed(_("事例にできるのは完了した依頼だけです。"), field="title")


def may_make_case(sreq, actor):
    """Whether the request page offers `actor` 「事例にする」: the rule save_case enforces (who
    manages cases, and only from a closed request they may see)."""
    if not permissions.can(actor, "manage", "case"):
        return False
    try:
        _check_source_request(sreq, actor)
    except (permissions.PermissionDenied, ValidationFailed):
        return False
    return True


def draft_from_request(sreq, actor):
    """Form values for a new case based on one of this desk's closed requests."""
    _check_source_request(sreq, actor)
    return {"title": sreq.title, "organisation": sreq.municipality.name,
            "theme_id": sreq.themes[0].id if sreq.themes else None,
            "summary": sreq.body, "source": f"市町DX支援デスク 対応事例 {sreq.display_number}",
            "url": None, "from_request_id": sreq.id}


def record_case_introduction(sreq, case, actor, *, note=None, now=None):
    """A liaison introduces a library case on a request (事例紹介): a support action + event."""
    now = now or utcnow()
    permissions.require(actor, "record_support", sreq)
    if case is None:
        raise ValidationFailed(_("紹介する事例を選んでください。"), field="case_id")
    action = SupportAction(request_id=sreq.id, kind="case", case_id=case.id, note=note,
                           actor_id=actor.id, at=now)
    db.session.add(action)
    record_event(sreq, actor, "action", action="case", note=note, now=now,
                 data={"case_id": case.id, "case_title": case.title})
    notify("request.support_action", sreq=sreq, actor=actor,
           now=now, kind="case", case_title=case.title)
    db.session.flush()
    return action


def case_options():
    """(id, label) pairs for a select of cases (cached per process: services/reference.py)."""
    return list(reference.case_options())


def seed_cases():
    """Load supportdesk/data/cases.csv; a case already there (same title and organisation)
    is left alone, so running it again adds nothing."""
    text = resources.files("supportdesk.data").joinpath("cases.csv").read_text(encoding="utf-8")
    themes = dict(db.session.execute(sa.select(Theme.code, Theme.id)).all())
    existing = set(db.session.execute(sa.select(Case.title, Case.organisation)).all())
    added = 0
    for row in csv.DictReader(text.splitlines()):
        key = (row["title"], row["organisation"])
        if key in existing:
            continue
        db.session.add(Case(title=row["title"], organisation=row["organisation"],
                            theme_id=themes.get(row["theme"]), summary=row["summary"],
                            source=row["source"], url=row.get("url") or None))
        existing.add(key)
        added += 1
    db.session.flush()
    if added:
        # Seeding runs from the CLI (at install, possibly on an older schema): this process
        # forgets its copy; running workers see the new cases within REFERENCE_CACHE_TTL.
        reference.forget_reference_lists()
    return added
