"""Which municipality runs which service (水道事業, 下水道事業...): kept by the liaisons, matched by
projects open "by service kind"."""
import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import Municipality, MunicipalityServiceKind, Region
from ...models.project import SERVICE_KINDS
from ...timeutil import utcnow
from .. import ValidationFailed
from ..audit import record_audit
from .building import refresh_open_projects


def kinds_by_municipality():
    """{municipality id: set of kind codes} in one query."""
    out = {}
    for mid, kind in db.session.execute(sa.select(MunicipalityServiceKind.municipality_id,
                                                  MunicipalityServiceKind.kind)):
        out.setdefault(mid, set()).add(kind)
    return out


def service_kind_rows():
    """[(municipality, set of kinds)] for all municipalities, by region and code."""
    kinds = kinds_by_municipality()
    munis = db.session.scalars(sa.select(Municipality).join(Region).order_by(
        Region.sort_order, Municipality.code)).all()
    return [(m, kinds.get(m.id, set())) for m in munis]


def set_service_kinds(actor, assignments, now=None):
    """Replace the service kinds of the municipalities in `assignments` ({municipality id: kinds}).
    Returns how many municipalities changed."""
    now = now or utcnow()
    permissions.require(actor, "manage", "service_kind")
    current = kinds_by_municipality()
    changed = 0
    for mid, kinds in assignments.items():
        kinds = set(kinds)
        if kinds - set(SERVICE_KINDS):
            raise ValidationFailed(_("事業の種類が正しくありません。"))
        have = current.get(mid, set())
        if kinds == have:
            continue
        if have - kinds:
            db.session.execute(sa.delete(MunicipalityServiceKind).where(
                MunicipalityServiceKind.municipality_id == mid,
                MunicipalityServiceKind.kind.in_(have - kinds)))
        for kind in sorted(kinds - have):
            db.session.add(MunicipalityServiceKind(municipality_id=mid, kind=kind))
        changed += 1
        record_audit("service_kind.set", actor=actor, now=now, municipality_id=mid,
                     kinds=sorted(kinds), before=sorted(have))
    db.session.flush()
    if changed:
        refresh_open_projects(actor, now)
    return changed
