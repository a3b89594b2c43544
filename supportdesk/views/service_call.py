"""Running one service call from a view: commit it, or roll it back and show why it was refused."""
import logging
import sys
from contextlib import contextmanager

from flask import flash
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..errorref import new_reference
from ..extensions import db
from ..permissions import PermissionDenied
from ..services import DomainError, ValidationFailed

logger = logging.getLogger(__name__)
# Errors that mean something to the app: their handlers answer (404, 409 ...), not a flash.
ANSWERED_ELSEWHERE = (DomainError, PermissionDenied, HTTPException)


def field_error(form, exc):
    """Put a refusal beside the form field it names; flash it when there is no such field."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(exc)]
    else:
        flash(str(exc), "error")


class Outcome:
    ok = False       # the call returned and its work is committed
    refused = False  # one of the `refused` errors was flashed (not a form error)
    failed = False   # an unexpected error (a bug, the database): rolled back, logged, flashed


def save_failed(outcome=None):
    """After an unexpected error while saving: roll back, log it with a reference id and tell
    the user, so the view shows its form again with what was typed instead of a 500 page.
    Call it from an `except` block; domain errors are re-raised for their handlers."""
    if isinstance(sys.exc_info()[1], ANSWERED_ELSEWHERE):
        raise  # noqa: PLE0704 (called from an except block: re-raises the error being handled)
    reference = new_reference()
    try:
        db.session.rollback()
    except Exception:
        logger.warning("Rollback failed after error %s", reference, exc_info=True)
    logger.exception("Saving failed: error %s", reference)
    flash(_("保存できませんでした。入力した内容はこの画面に残っています。時間をおいてもう一度保存してください。"
            "解決しない場合は、参照番号 %(ref)s を添えて支援デスクへご連絡ください。", ref=reference),
          "error")
    if outcome is not None:
        outcome.failed = True


@contextmanager
def service_call(form=None, refused=()):
    """Commit what the block did, or roll it back and tell the user.

    ValidationFailed goes beside its field on `form` (flashed without a form or a field); the
    exception types in `refused` are flashed. Other domain errors propagate to the error
    handlers; anything unexpected (a bug, an IntegrityError, the database gone, in the block or
    in the commit) is rolled back, logged and flashed by save_failed(), so the view re-renders
    its form with what the user typed.
    The view flashes its own success message and chooses the response from the outcome:

        with service_call(form) as call:
            save_theme(...)
        if call.ok:
            flash(...)
            return redirect(...)
        return render_template(...)
    """
    outcome = Outcome()
    try:
        yield outcome
    except ValidationFailed as exc:
        db.session.rollback()
        field_error(form, exc)
    except refused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        outcome.refused = True
    except Exception:  # noqa: BLE001 (anything unexpected: the form must come back)
        save_failed(outcome)
    else:
        try:
            db.session.commit()
        except Exception:  # noqa: BLE001
            save_failed(outcome)
        else:
            outcome.ok = True
