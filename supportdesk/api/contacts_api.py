"""The contact directory over the API, read-only, with the pages' scoping: municipal staff read
their own municipality's contacts only (another's answers 404), liaisons, managers and admins
all of them."""
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import Contact
from ..services.contacts.directory import contacts_query
from . import bp
from .core import ApiError, api_route, api_user, dump, json_response, parse_query
from .pages import keyset_page
from .schemas.contacts import MunicipalContactOut, MunicipalContactPage, MunicipalContactQuery


def contact_out(c):
    return MunicipalContactOut(id=c.id, municipality_code=c.municipality.code, role=c.role,
                               name=c.name, kana=c.kana, title=c.title,
                               department=c.department, email=c.email, phone=c.phone,
                               valid_from=c.valid_from, valid_to=c.valid_to,
                               has_account=c.user_id is not None)


def _refuse_unless_reader(user):
    if not permissions.can(user, "view", "contact"):
        raise ApiError(403, _("この操作を行う権限がありません。"))


@api_route(bp, "/contacts", "GET", summary="Contacts of the municipalities (連絡先), by role and "
           "day in office", query=MunicipalContactQuery, response=MunicipalContactPage,
           tag="contacts", errors=(401, 403, 429))
def list_contacts():
    args = parse_query(MunicipalContactQuery)
    user = api_user()
    _refuse_unless_reader(user)
    stmt = contacts_query(user, municipality_code=args.municipality, role=args.role, on=args.on)
    rows, next_cursor = keyset_page(stmt, Contact.id, args)
    return json_response(dump(MunicipalContactPage(items=[contact_out(c) for c in rows],
                                                   next_cursor=next_cursor)))


@api_route(bp, "/contacts/<int:contact_id>", "GET", summary="One contact",
           response=MunicipalContactOut, tag="contacts", errors=(401, 403, 404, 429))
def get_contact(contact_id):
    user = api_user()
    _refuse_unless_reader(user)
    c = db.session.get(Contact, contact_id)
    if c is None or not permissions.can(user, "view", c):
        raise ApiError(404, _("見つかりません。"))
    return json_response(dump(contact_out(c)))
