"""The lists the meeting forms choose from: municipalities, departments, people, contacts."""
import sqlalchemy as sa

from ...extensions import db
from ...models import Contact, Department, Municipality, User
from ...roles import Role
from ..contacts.directory import today_jst


def municipality_choices():
    return [(m.id, m.name) for m in db.session.scalars(
        sa.select(Municipality).order_by(Municipality.code))]


def department_choices():
    return [(d.id, d.name) for d in db.session.scalars(
        sa.select(Department).where(Department.active.is_(True)).order_by(Department.name))]


def people_choices():
    """Active users who may be invited by hand or own an item (staff with their municipality)."""
    rows = db.session.execute(sa.select(User, Municipality.name).outerjoin(
        Municipality, Municipality.id == User.municipality_id).where(
        User.active.is_(True), User.role.in_((Role.STAFF, Role.LIAISON, Role.EXPERT,
                                              Role.MANAGER)))
        .order_by(User.role, Municipality.code, User.display_name)).all()
    return [(u.id, f"{u.display_name}({name})" if name else u.display_name) for u, name in rows]


def contact_choices(now=None):
    """Contacts in office today, as "municipality name role-holder"."""
    on = today_jst(now)
    rows = db.session.execute(sa.select(Contact, Municipality.name).join(
        Municipality, Municipality.id == Contact.municipality_id).where(
        Contact.valid_from <= on, sa.or_(Contact.valid_to.is_(None), Contact.valid_to >= on))
        .order_by(Municipality.code, Contact.role, Contact.id)).all()
    return [(c.id, f"{name} {c.name}" + (f"({c.title})" if c.title else "")) for c, name in rows]
