"""A project's notices and documents to its participants (参加 and 検討中): files are checked
like every attachment of the desk (services/requests/attachments.py), the notice goes through
the outbox to each participant's answerer, its 情報部門 and its room."""
import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import Municipality, ProjectAnswer, ProjectDocument, ProjectNotice, User
from ...models.project import PARTICIPATING
from ...notifications import notify
from ...roles import Role
from ...timeutil import utcnow
from .. import ValidationFailed
from ..audit import record_audit
from ..requests.attachments import check_uploads, store_file


def _recipients(municipality_id, answer_row):
    people = {u.id: u for u in permissions.info_dept_of(municipality_id)}
    who = db.session.get(User, answer_row.updated_by_id)
    if who is not None and who.active and who.role == Role.STAFF \
            and who.municipality_id == municipality_id:
        people.setdefault(who.id, who)
    return list(people.values())


def post_notice(project, actor, *, title, body, uploads=(), now=None):
    """Send a notice (with files) to the project's current participants."""
    now = now or utcnow()
    permissions.require(actor, "post", project)
    if not (title or "").strip():
        raise ValidationFailed(_("件名を入力してください。"), field="title")
    if not (body or "").strip():
        raise ValidationFailed(_("本文を入力してください。"), field="body")
    checked = check_uploads(uploads, field="attachments")  # every file before any is written
    rows = db.session.scalars(sa.select(ProjectAnswer).where(
        ProjectAnswer.project_id == project.id, ProjectAnswer.answer.in_(PARTICIPATING))
        .order_by(ProjectAnswer.municipality_id)).all()
    if not rows:
        raise ValidationFailed(_("参加(または検討中)の市町がまだありません。"))
    notice = ProjectNotice(project_id=project.id, title=title.strip(), body=body.strip(),
                           posted_by_id=actor.id, posted_at=now,
                           municipality_ids=[r.municipality_id for r in rows])
    db.session.add(notice)
    db.session.flush()
    for (name, ext, content_type), data in checked:
        notice.documents.append(ProjectDocument(
            filename=name, content_type=content_type, uploaded_by_id=actor.id, uploaded_at=now,
            **store_file(ext, data)))
    db.session.flush()
    for r in rows:
        m = db.session.get(Municipality, r.municipality_id)
        notify("project.notice", municipality=m, recipients=_recipients(m.id, r), actor=actor,
               now=now, link=f"/projects/{project.id}#notices", project=project, notice=notice,
               documents=len(notice.documents), urgent=False,
               event_key=f"project:{project.id}:notice:{notice.id}:m{m.id}")
    record_audit("project.notice", actor=actor, target=project, now=now, notice_id=notice.id,
                 municipalities=len(rows), documents=len(notice.documents))
    return notice


def notices_for(project, user):
    """The project's notices the user may read, newest first."""
    rows = db.session.scalars(sa.select(ProjectNotice).where(
        ProjectNotice.project_id == project.id).order_by(ProjectNotice.id.desc())).all()
    return [n for n in rows if permissions.can(user, "view", n)]
