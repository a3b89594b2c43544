"""Running one service call from a view: commit it, or roll it back and show why it was refused."""
from contextlib import contextmanager

from flask import flash

from ..extensions import db
from ..services import ValidationFailed


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


@contextmanager
def service_call(form=None, refused=()):
    """Commit what the block did, or roll it back and tell the user.

    ValidationFailed goes beside its field on `form` (flashed without a form or a field); the
    exception types in `refused` are flashed. Any other error propagates to the error handlers.
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
    else:
        db.session.commit()
        outcome.ok = True
