"""The contact directory of a municipality (連絡先): liaisons keep it, its 情報部門 proposes
changes, its staff read it. Another municipality's directory answers 404."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..extensions import db
from ..forms.contacts import ContactForm, DecideProposalForm, EndContactForm
from ..models import Contact, ContactProposal, Municipality
from ..services.contacts.directory import (add_contact, contacts_of, end_contact, linkable_users,
                                           today_jst, update_contact)
from ..services.contacts.proposals import (decide_proposal, pending_proposals_for,
                                           proposals_of, propose_contact_change)
from ..workflows.contacts import KIND_LABELS, ROLE_LABELS, STATUS_LABELS
from .decorators import load_or_404
from .service_call import service_call

bp = Blueprint("contacts", __name__)


def _municipality(code):
    m = db.session.scalar(sa.select(Municipality).where(Municipality.code == code))
    if m is None:
        abort(404)
    permissions.require_in(current_user, "view", "contact", m)
    return m


def _page(m, form=None, status=200):
    may_manage = permissions.can_in(current_user, "manage", "contact", m)
    may_propose = permissions.can_in(current_user, "propose", "contact", m)
    if form is None and (may_manage or may_propose):
        form = ContactForm().offer(linkable_users(m.id))
    proposals = proposals_of(m.id) if permissions.can_in(
        current_user, "view", "contact_proposal", m) else []
    return render_template("contacts/list.html", municipality=m, contacts=contacts_of(m.id),
                           today=today_jst(), form=form, may_manage=may_manage,
                           may_propose=may_propose, proposals=proposals,
                           decide_form=DecideProposalForm(), labels=_labels()), status


def _labels():
    return dict(roles=ROLE_LABELS, kinds=KIND_LABELS, statuses=STATUS_LABELS)


@bp.get("/municipalities/<code>/contacts")
@login_required
def directory(code):
    return _page(_municipality(code))


@bp.post("/municipalities/<code>/contacts")
@login_required
def add(code):
    m = _municipality(code)
    manage = permissions.can_in(current_user, "manage", "contact", m)
    if not manage:
        permissions.require_in(current_user, "propose", "contact", m)
    form = ContactForm().offer(linkable_users(m.id))
    if form.validate_on_submit():
        with service_call(form) as call:
            if manage:
                add_contact(current_user, m, **form.values())
            else:
                propose_contact_change(current_user, m, "add", note=form.note.data,
                                       **form.values())
        if call.ok:
            flash(_("連絡先を追加しました。") if manage else
                  _("追加を提案しました。担当のリエゾンが確認します。"), "success")
            return redirect(url_for("contacts.directory", code=code))
    return _page(m, form, 422 if form.errors else 200)


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def edit(contact_id):
    c = load_or_404(Contact, contact_id)
    manage = permissions.can(current_user, "manage", c)
    if not manage:
        permissions.require(current_user, "propose", c)
    form = ContactForm(obj=c).offer(linkable_users(c.municipality_id))
    end_form = EndContactForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            if manage:
                update_contact(current_user, c, **form.values())
            else:
                propose_contact_change(current_user, c.municipality, "change", contact=c,
                                       note=form.note.data, **form.values())
        if call.ok:
            flash(_("連絡先を更新しました。") if manage else
                  _("変更を提案しました。担当のリエゾンが確認します。"), "success")
            return redirect(url_for("contacts.directory", code=c.municipality.code))
    elif not form.is_submitted():
        form.user_id.data = str(c.user_id) if c.user_id else ""
    return render_template("contacts/edit.html", contact=c, form=form, end_form=end_form,
                           manage=manage, labels=_labels()), 422 if form.errors else 200


@bp.post("/contacts/<int:contact_id>/end")
@login_required
def end(contact_id):
    c = load_or_404(Contact, contact_id)
    manage = permissions.can(current_user, "manage", c)
    if not manage:
        permissions.require(current_user, "propose", c)
    end_form = EndContactForm()
    if end_form.validate_on_submit():
        with service_call(end_form) as call:
            if manage:
                end_contact(current_user, c, end_form.valid_to.data)
            else:
                propose_contact_change(current_user, c.municipality, "end", contact=c,
                                       note=end_form.note.data, valid_to=end_form.valid_to.data)
        if call.ok:
            flash(_("終了日を登録しました。") if manage else
                  _("終了を提案しました。担当のリエゾンが確認します。"), "success")
            return redirect(url_for("contacts.directory", code=c.municipality.code))
    form = ContactForm(obj=c).offer(linkable_users(c.municipality_id))
    return render_template("contacts/edit.html", contact=c, form=form, end_form=end_form,
                           manage=manage, labels=_labels()), 422


@bp.post("/contact-proposals/<int:proposal_id>/decide")
@login_required
def decide(proposal_id):
    p = load_or_404(ContactProposal, proposal_id, "decide")
    form = DecideProposalForm()
    if form.validate_on_submit() and form.action.data in ("accept", "reject"):
        with service_call(form) as call:
            decide_proposal(current_user, p, form.action.data, note=form.note.data)
        if call.ok:
            flash(_("提案を反映しました。") if form.action.data == "accept"
                  else _("提案を見送りました。"), "success")
    return redirect(url_for("contacts.directory", code=p.municipality.code))


@bp.get("/contact-proposals")
@login_required
def pending():
    if not permissions.can(current_user, "decide", "contact_proposal"):
        abort(403)
    return render_template("contacts/proposals.html", proposals=pending_proposals_for(current_user),
                           decide_form=DecideProposalForm(), labels=_labels())
