"""/healthz: the app and the database, as JSON."""
import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify

from ..extensions import db

logger = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # any driver error means "unreachable" to a probe
        logger.warning("healthz: database unreachable: %s", exc)
        db.session.rollback()
        database = "unavailable"
    ok = database == "ok"
    return jsonify(status="ok" if ok else "degraded", app="ok", database=database), (200 if ok else 503)
