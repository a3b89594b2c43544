"""Form services (LoGoフォーム...): the endpoint they post answers to, and the admin's pages
(connections, answers waiting with their reason, CSV import with a preview)."""
import os
import secrets

from flask import (Blueprint, abort, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..extensions import csrf, db
from ..forms.intake import CsvImportForm, connection_form
from ..links import external_url
from ..models import FormAnswer, FormConnection
from ..models.form_intake import MAPPABLE, MODE_LABELS, STATUS_LABELS
from ..services import ValidationFailed
from ..services import form_intake as intake
from ..services.requests.attachments import upload_folder
from .decorators import permission_required
from .service_call import service_call

bp = Blueprint("form_intake", __name__)
MAX_ANSWER_BYTES = 1024 * 1024


@bp.post("/intake/forms/<int:connection_id>/answers")
@csrf.exempt
def receive(connection_id):
    """The form service posts one answer as JSON keyed by its question labels, with the
    connection's token (`Authorization: Bearer fi_...`)."""
    auth = request.headers.get("Authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    conn = intake.active_connection(connection_id)
    if conn is None:  # like every path id that is not a row (or a stopped connection)
        return jsonify(error="not_found", message=_("この接続はありません。")), 404
    if not intake.token_matches(conn, token):
        return jsonify(error="unauthorised", message=_("接続のトークンが正しくありません。")), 401
    if (request.content_length or 0) > MAX_ANSWER_BYTES:
        return jsonify(error="too_large", message=_("回答が大きすぎます。")), 413
    payload = request.get_json(silent=True)
    if payload is None:
        return jsonify(error="invalid_json", message=_("回答はJSONで送ってください。")), 400
    try:
        answer, what = intake.receive_answer(conn, payload)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        return jsonify(error="invalid_answer", message=str(exc)), 422
    except IntegrityError:  # the same answer sent twice at the same moment: the first won
        db.session.rollback()
        return jsonify(result="unchanged"), 200
    body = dict(result=what, answer_id=answer.answer_id, status=answer.status,
                reason=answer.reason,
                request_number=answer.sreq.display_number if answer.sreq else None)
    return jsonify(body), 201 if what in ("filed", "waiting") else 200


@bp.get("/admin/forms")
@permission_required("manage", "form_connection")
def index():
    conns = db.session.scalars(db.select(FormConnection).order_by(FormConnection.id)).all()
    return render_template("form_intake/index.html", connections=conns, mode_labels=MODE_LABELS)


@bp.route("/admin/forms/new", methods=["GET", "POST"])
@permission_required("manage", "form_connection")
def new():
    form = connection_form(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        mapping = {k: getattr(form, f"label_{k}").data or "" for k in MAPPABLE}
        with service_call(form) as call:
            conn, token = intake.create_connection(
                current_user, name=form.name.data, mapping=mapping, mode=form.mode.data,
                default_kind=form.default_kind.data)
        if call.ok:
            # The token is shown this once; only its hash is kept.
            return render_template("form_intake/created.html", conn=conn, token=token,
                                   # Called by the form service, not a user: the default
                                   # network's host name (links.py).
                                   url=external_url("form_intake.receive",
                                                    connection_id=conn.id))
    return render_template("form_intake/new.html", form=form,
                           label_fields=[getattr(form, f"label_{k}") for k in MAPPABLE])


@bp.get("/admin/forms/<int:connection_id>")
@permission_required("manage", "form_connection")
def show(connection_id):
    conn = db.get_or_404(FormConnection, connection_id)
    return render_template("form_intake/show.html", conn=conn, waiting=intake.waiting_answers(conn),
                           mapping_labels=MAPPABLE, mode_labels=MODE_LABELS,
                           status_labels=STATUS_LABELS, import_form=CsvImportForm())


@bp.post("/admin/forms/<int:connection_id>/answers/<int:answer_pk>/<op>")
@permission_required("manage", "form_connection")
def answer_op(connection_id, answer_pk, op):
    answer = db.get_or_404(FormAnswer, answer_pk)
    if answer.connection_id != connection_id or op not in ("retry", "ignore"):
        abort(404)
    with service_call() as call:
        what = intake.retry_answer(current_user, answer) if op == "retry" else \
            intake.ignore_answer(current_user, answer)
    if call.ok:
        flash(_("依頼を作成しました。") if what == "filed" else
              _("まだ取り込めません。理由を確認してください。") if what == "waiting" else
              _("対象外にしました。"), "success" if what != "waiting" else "error")
    return redirect(url_for("form_intake.show", connection_id=connection_id))


def _staged_path(name):
    if not name or not name.isalnum():
        abort(404)
    return os.path.join(upload_folder(), f"intake-{name}.csv")


@bp.post("/admin/forms/<int:connection_id>/import")
@permission_required("manage", "form_connection")
def import_preview(connection_id):
    """Step 1: read the file and show what each row would do; nothing is imported yet."""
    conn = db.get_or_404(FormConnection, connection_id)
    form = CsvImportForm()
    storage = request.files.get("file")
    data = storage.read() if storage else b""
    try:
        if not data:
            raise ValidationFailed(_("CSVファイルを選んでください。"), field="file")
        rows = intake.preview_csv(conn, data)
    except ValidationFailed as exc:
        form.file.errors = [str(exc)]
        return render_template("form_intake/show.html", conn=conn,
                               waiting=intake.waiting_answers(conn), mapping_labels=MAPPABLE,
                               mode_labels=MODE_LABELS, status_labels=STATUS_LABELS,
                               import_form=form), 422
    staged = secrets.token_hex(16)
    os.makedirs(upload_folder(), exist_ok=True)
    with open(_staged_path(staged), "wb") as fh:
        fh.write(data)
    return render_template("form_intake/preview.html", conn=conn, rows=rows, staged=staged,
                           filename=storage.filename)


@bp.post("/admin/forms/<int:connection_id>/import/confirm")
@permission_required("manage", "form_connection")
def import_confirm(connection_id):
    """Step 2: the admin confirmed the preview: import the staged file."""
    conn = db.get_or_404(FormConnection, connection_id)
    path = _staged_path(request.form.get("staged", ""))
    if not os.path.exists(path):
        flash(_("取り込むファイルが見つかりません。もう一度アップロードしてください。"), "error")
        return redirect(url_for("form_intake.show", connection_id=conn.id))
    with open(path, "rb") as fh:
        data = fh.read()
    with service_call() as call:
        counts = intake.import_csv(current_user, conn, data)
    if call.ok:
        os.remove(path)
        flash(_("取り込みました: 新規 %(filed)d件、確認待ち %(waiting)d件、変更 %(revised)d件、変更なし %(unchanged)d件",
                filed=counts.get("filed", 0), waiting=counts.get("waiting", 0),
                revised=counts.get("revised", 0), unchanged=counts.get("unchanged", 0)),
              "success")
    return redirect(url_for("form_intake.show", connection_id=conn.id))
