"""Request attachments over the API: multipart upload through the attachment service (same type,
magic-byte and size checks as the UI) and download with the same permission checks."""
import io

from flask import request, send_file
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import RequestAttachment
from ..services.requests.attachments import add_attachments, attachment_path, upload_probe
from . import bp
from .core import ApiError, api_route, api_user, dump, json_response
from .requests_api import attachment_out, load_request
from .schemas.requests import AttachmentOut

UPLOAD_SCHEMA = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "The file; repeat the part to send several at once."},
        "internal": {"type": "string", "enum": ["0", "1"],
                     "description": "1: visible to the prefecture side only"},
    },
}


@api_route(bp, "/requests/<int:request_id>/attachments", "POST",
           summary="Attach files (PDF, Office, images, TXT, CSV; size limit as in the UI)",
           scope="write", multipart=UPLOAD_SCHEMA, response=list[AttachmentOut], status=201,
           tag="requests")
def upload_attachments(request_id):
    sreq = load_request(request_id)
    user = api_user()
    if not permissions.can(user, "upload", upload_probe(sreq)):
        raise ApiError(403, _("この操作の権限がありません。"))
    files = [f for f in request.files.getlist("file") if f.filename]
    if not files:
        raise ApiError(422, _("入力内容に誤りがあります。"),
                       errors=[{"field": "file", "message": _("ファイルを選んでください。")}])
    internal_flag = request.form.get("internal", "0")
    if internal_flag not in UPLOAD_SCHEMA["properties"]["internal"]["enum"]:
        # "yes" or "true" would otherwise quietly mean "not internal".
        raise ApiError(422, _("入力内容に誤りがあります。"),
                       errors=[{"field": "internal", "message": _("指定できない値です。")}])
    internal = internal_flag == "1"
    if internal and not permissions.can(user, "view_internal", sreq):
        raise ApiError(403, _("県側の担当者だけが内部向けに添付できます。"))
    rows = add_attachments(sreq, user, files, internal=internal)
    db.session.commit()
    return json_response(dump([attachment_out(a) for a in rows]), 201)


@api_route(bp, "/requests/<int:request_id>/attachments/<int:attachment_id>", "GET",
           summary="Download one attachment", media="*/*",
           response={"type": "string", "format": "binary"}, tag="requests")
def download_attachment(request_id, attachment_id):
    sreq = load_request(request_id)
    att = db.session.get(RequestAttachment, attachment_id)
    if att is None or att.request_id != sreq.id:
        raise ApiError(404, _("見つかりません。"))
    permissions.require(api_user(), "view", att)
    if att.internal:
        permissions.require(api_user(), "view_internal", sreq)
    # Read whole (files are capped by UPLOAD_MAX_BYTES) so no file handle outlives the request
    # when a client never closes the response.
    with open(attachment_path(att), "rb") as fh:
        data = io.BytesIO(fh.read())
    response = send_file(data, mimetype=att.content_type, as_attachment=True,
                         download_name=att.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
