"""Attachments (requests, announcements): type by extension and magic bytes, size, storage."""
import hashlib
import logging
import os
import re
import secrets
import unicodedata
import zipfile
from io import BytesIO

from flask import current_app, send_file
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import RequestAttachment
from ...timeutil import utcnow
from .. import ValidationFailed
from .transitions import record_event

logger = logging.getLogger(__name__)

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (doc/xls/ppt)
ZIP = b"PK\x03\x04"  # OOXML (docx/xlsx/pptx) are zip archives
# extension -> (content type, accepted leading bytes; None means "text")
ALLOWED = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (ZIP,)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (ZIP,)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (ZIP,)),
    "doc": ("application/msword", (OLE,)),
    "xls": ("application/vnd.ms-excel", (OLE,)),
    "ppt": ("application/vnd.ms-powerpoint", (OLE,)),
    "txt": ("text/plain; charset=utf-8", None),
    "csv": ("text/csv; charset=utf-8", None),
}
ALLOWED_LABEL = "PDF, Word, Excel, PowerPoint, PNG, JPEG, GIF, TXT, CSV"
_UNSAFE = re.compile(r'[<>:"|?*]')


def sanitise_filename(name):
    """Keep Japanese and other printable characters; drop any path, control and reserved
    characters so the name is safe in a header and on every OS."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext) if dot and len(ext) <= 5 else name[:200]
    return name


def _extension(name):
    return name.rpartition(".")[2].lower() if "." in name else ""


def _looks_like_text(head):
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "cp932"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            if exc.start >= len(head) - 3:
                return True
    return False


def max_bytes():
    return int(current_app.config.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))


def upload_folder():
    return current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path,
                                                                   "uploads")


def check_upload(filename, data):
    """(safe name, extension, content type) for an acceptable file, else ValidationFailed."""
    name = sanitise_filename(filename)
    ext = _extension(name)
    if not name or ext not in ALLOWED:
        raise ValidationFailed(_("添付できるのは %(types)s のファイルだけです(%(name)s)。",
                                 types=ALLOWED_LABEL, name=name or "?"), field="attachments")
    limit = max_bytes()
    if len(data) > limit:
        raise ValidationFailed(_("ファイルが大きすぎます(%(name)s)。1ファイル %(mb)s MB までです。",
                                 name=name, mb=round(limit / 1024 / 1024, 1)), field="attachments")
    if not data:
        raise ValidationFailed(_("空のファイルは添付できません(%(name)s)。", name=name),
                               field="attachments")
    content_type, magics = ALLOWED[ext]
    ok = _looks_like_text(data[:4096]) if magics is None else data.startswith(magics)
    if ok and magics == (ZIP,):
        ok = _check_office_zip(name, data)
    if not ok:
        raise ValidationFailed(_("ファイルの中身が拡張子(.%(ext)s)と一致しません(%(name)s)。",
                                 ext=ext, name=name), field="attachments")
    return name, ext, content_type


def _check_office_zip(name, data):
    """An OOXML file is a zip with [Content_Types].xml. Read only its directory (never unpack):
    refuse a zip bomb by entry count and declared unpacked size before anyone opens it."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    if "[Content_Types].xml" not in {e.filename for e in entries}:
        return False
    cfg = current_app.config
    if (len(entries) > cfg.get("UPLOAD_MAX_ZIP_ENTRIES", 5000)
            or sum(e.file_size for e in entries) > cfg.get("UPLOAD_MAX_UNZIPPED_BYTES",
                                                           200 * 1024 * 1024)):
        raise ValidationFailed(_("圧縮された中身が大きすぎるため添付できません(%(name)s)。",
                                 name=name), field="attachments")
    return True


def read_upload(storage):
    """(filename, bytes) from a werkzeug FileStorage, reading at most the limit plus one byte."""
    data = storage.stream.read(max_bytes() + 1)
    return storage.filename or "", data


def upload_probe(sreq):
    """An unsaved attachment of `sreq`: what the "attachment" permission rows are checked on."""
    return RequestAttachment(request_id=sreq.id, sreq=sreq)


def check_uploads(uploads, field="attachments"):
    """[((safe name, ext, content type), bytes)] for FileStorage objects or (filename, bytes)
    pairs; empty file inputs are skipped. Raises ValidationFailed (on `field`) at the first bad
    file, before anything is written."""
    checked = []
    for upload in uploads:
        filename, data = upload if isinstance(upload, tuple) else read_upload(upload)
        if not filename and not data:
            continue  # an empty file input
        try:
            checked.append((check_upload(filename, data), data))
        except ValidationFailed as exc:
            exc.field = field
            raise
    return checked


def store_file(ext, data):
    """Write checked bytes under the upload folder with a random name; returns the metadata
    every attachment model keeps (stored_name, size, sha256)."""
    folder = upload_folder()
    os.makedirs(folder, exist_ok=True)
    stored = f"{secrets.token_hex(16)}.{ext}"
    with open(os.path.join(folder, stored), "xb") as fh:
        fh.write(data)
    return dict(stored_name=stored, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def add_attachments(sreq, actor, uploads, *, purpose="general", internal=False, now=None,
                    field="attachments"):
    """Store files (FileStorage objects or (filename, bytes) pairs) for a request. Every file is
    checked before any is written, so a rejected one leaves nothing behind."""
    now = now or utcnow()
    permissions.require(actor, "upload", upload_probe(sreq))
    if internal and not permissions.can(actor, "view_internal", sreq):
        internal = False
    checked = check_uploads(uploads, field)
    rows = []
    for (name, ext, content_type), data in checked:
        row = RequestAttachment(request_id=sreq.id, purpose=purpose, filename=name,
                                content_type=content_type, internal=internal,
                                uploaded_by_id=actor.id, uploaded_at=now,
                                **store_file(ext, data))
        db.session.add(row)
        rows.append(row)
    if rows:
        db.session.flush()
        record_event(sreq, actor, "attachment", internal=internal, now=now, data={
            "added": [{"id": r.id, "filename": r.filename, "size": r.size} for r in rows],
            "purpose": purpose})
        logger.info("request %s: %d attachment(s) added by user %s", sreq.id, len(rows), actor.id)
    return rows


def attachment_path(attachment):
    return os.path.join(upload_folder(), attachment.stored_name)


def file_response(attachment):
    """A download of a stored file (any attachment model): always "attachment", never sniffed
    or cached, so a browser never renders an uploaded file in our origin."""
    response = send_file(attachment_path(attachment), mimetype=attachment.content_type,
                         as_attachment=True, download_name=attachment.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def visible_attachments(sreq, user, *, sees_internal=None):
    """The request's attachments this user may see (internal ones only for the prefecture side;
    `sees_internal`: the caller's answer of the permission table, if it has asked already)."""
    rows = db.session.scalars(db.select(RequestAttachment).where(
        RequestAttachment.request_id == sreq.id).order_by(RequestAttachment.id)).all()
    if sees_internal is None:
        sees_internal = any(a.internal for a in rows) and permissions.can(
            user, "view_internal", sreq)
    return [a for a in rows if not a.internal or sees_internal]
