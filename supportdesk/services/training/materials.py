"""Course material (slides and videos as links, texts): adding it to a course, and searching
it with the same folding as request search (services.requests.search.normalise_for_search),
among the courses the user may see."""
import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import TrainingCourse, TrainingMaterial
from ...timeutil import utcnow
from ...workflows.training import MATERIAL_KINDS
from .. import ValidationFailed
from ..audit import record_audit
from ..requests.search import normalise_for_search


def _search_text(m):
    return normalise_for_search("\n".join(p for p in (m.title, m.body or "", m.url or "") if p))


def add_material(course, actor, *, kind, title, url=None, body=None, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", "training_material")
    permissions.require(actor, "manage", course)
    title = (title or "").strip()
    url, body = (url or "").strip() or None, (body or "").strip() or None
    if kind not in MATERIAL_KINDS:
        raise ValidationFailed(_("資料の種類を選んでください。"), field="kind")
    if not title:
        raise ValidationFailed(_("資料名を入力してください。"), field="title")
    if kind in ("slides", "video") and not url:
        raise ValidationFailed(_("スライド・動画はリンク(URL)を入力してください。"), field="url")
    if url and not url.lower().startswith(("https://", "http://")):
        raise ValidationFailed(_("リンクは http:// または https:// で始まるURLを入力してください。"),
                               field="url")
    if kind == "text" and not body:
        raise ValidationFailed(_("テキストの本文を入力してください。"), field="body")
    m = TrainingMaterial(course=course, kind=kind, title=title, url=url, body=body,
                         created_by_id=actor.id, created_at=now)
    m.search_text = _search_text(m)
    db.session.add(m)
    db.session.flush()
    record_audit("training.material.add", actor=actor, target=m, now=now, course_id=course.id)
    return m


def delete_material(m, actor, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", m)
    course = m.course
    record_audit("training.material.delete", actor=actor, target=m, now=now,
                 course_id=course.id, title=m.title)
    course.materials.remove(m)
    db.session.flush()
    return course


def _like(term):
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_materials(user, q, limit=100):
    """The material of the courses the user may see whose title, text or link contain every
    word of `q` (folded as request search folds: NFKC, case, katakana)."""
    terms = [t for t in normalise_for_search(q or "").split() if t]
    visible = permissions.scope_courses(sa.select(TrainingCourse.id), user)
    stmt = sa.select(TrainingMaterial).where(TrainingMaterial.course_id.in_(visible))
    for t in terms:
        stmt = stmt.where(TrainingMaterial.search_text.like(_like(t), escape="\\"))
    return db.session.scalars(stmt.order_by(TrainingMaterial.id.desc()).limit(limit)).all()
