"""A long form is never lost: when saving fails unexpectedly after validation, the form comes
back with what was typed and a Japanese message (with a reference id that is in the log)."""
import re

import pytest
import sqlalchemy as sa
from flask import get_flashed_messages
from sqlalchemy.exc import IntegrityError, OperationalError

from supportdesk.extensions import db
from supportdesk.models import SupportRequest, Theme
from supportdesk.services import DomainError
from supportdesk.views.service_call import service_call
from tests.factories import make_liaison, make_request, make_staff, municipality
from tests.test_error_pages import REFERENCE, _login, _references_logged
from tests.test_request_views import LECTURE

SAVE_FAILED = "保存できませんでした"

# Every field of the 出前講座 form, as a person would fill it in.
FULL_LECTURE = {
    **LECTURE,
    "theme_ids": [],  # filled in by the test from the seeded themes
    "candidates-2-day": "2099-05-24", "candidates-2-start": "10:00", "candidates-2-end": "11:30",
    "online": "y", "submit": "1",
}


@pytest.fixture
def app(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        yield app


def _integrity_error(*args, **kwargs):
    raise IntegrityError("INSERT INTO support_requests ...", {}, Exception("duplicate key"))


def _full_lecture():
    themes = db.session.scalars(sa.select(Theme).order_by(Theme.sort_order).limit(2)).all()
    return {**FULL_LECTURE, "theme_ids": [str(t.id) for t in themes],
            "co_municipality_ids": [str(municipality("赤穂市").id)]}, themes


def _assert_form_kept(page, themes):
    assert SAVE_FAILED in page
    for typed in ("カイゼンDX講座の申込み", "紙の申請書の転記作業を減らしたい", "佐用町役場 大会議室",
                  "改善したい業務を3つ選定済み", 'value="20"', 'value="2099-05-10"',
                  'value="13:30"', 'value="2099-05-17"', 'value="2099-05-24"', 'value="11:30"'):
        assert typed in page, typed
    for t in themes:  # the ticked checkboxes stay ticked
        assert re.search(rf'value="{t.id}"[^>]*checked|checked[^>]*value="{t.id}"', page), t.code
    assert re.search(r'value="kaizen"[^>]*selected|selected[^>]*value="kaizen"', page)


@pytest.mark.parametrize("fault", [_integrity_error, RuntimeError("boom")])
def test_lecture_form_comes_back_with_what_was_typed_when_saving_fails(app, monkeypatch, caplog,
                                                                         fault):
    import supportdesk.views.requests as views

    def failing(*args, **kwargs):
        if callable(fault):
            fault()
        raise fault

    monkeypatch.setattr(views, "create_request", failing)
    c = _login(app, make_staff("佐用町"))
    data, themes = _full_lecture()
    resp = c.post("/requests/new/lecture", data=data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200, page[:300]
    _assert_form_kept(page, themes)
    shown = REFERENCE.findall(page)
    assert shown and shown[0] in _references_logged(caplog)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 0


def test_a_failure_at_commit_also_keeps_the_form(app, monkeypatch):
    """The database refuses the commit itself (e.g. the connection dropped)."""
    c = _login(app, make_staff("佐用町"))
    data, themes = _full_lecture()
    real_commit = db.session.commit
    calls = []

    def commit():
        if not calls:
            calls.append(1)
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
        return real_commit()

    monkeypatch.setattr(db.session, "commit", commit)
    page = c.post("/requests/new/lecture", data=data).get_data(as_text=True)
    assert calls, "the fault was never injected"
    _assert_form_kept(page, themes)


def test_lecture_edit_form_comes_back_with_what_was_typed_when_saving_fails(app, monkeypatch):
    import supportdesk.views.requests as views

    staff = make_staff("佐用町")
    sreq = make_request(staff, "lecture", state="draft", title="元の件名")
    monkeypatch.setattr(views, "update_request", _integrity_error)
    c = _login(app, staff)
    data, themes = _full_lecture()
    resp = c.post(f"/requests/{sreq.id}/edit", data={**data, "version": str(sreq.version)})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200, page[:300]
    _assert_form_kept(page, themes)
    db.session.expire_all()
    assert db.session.get(SupportRequest, sreq.id).title == "元の件名"


# --- the unit of work itself -------------------------------------------------------------------

def test_unexpected_error_rolls_back_and_flashes_a_reference(app, caplog):
    with app.test_request_context(method="POST"):
        with service_call() as call:
            db.session.add(Theme(code="probe", name_ja="試し", name_en="Probe", sort_order=99))
            db.session.flush()
            raise RuntimeError("unexpected")
        assert not call.ok and not call.refused and call.failed
        ((category, message),) = get_flashed_messages(with_categories=True)
        assert category == "error" and SAVE_FAILED in message
        assert REFERENCE.search(message).group(0) in _references_logged(caplog)
    db.session.expire_all()
    assert db.session.scalar(sa.select(Theme).where(Theme.code == "probe")) is None


def test_a_real_integrity_error_at_commit_is_caught(app):
    existing = db.session.scalars(sa.select(Theme)).first()
    with app.test_request_context(method="POST"):
        with service_call() as call:
            # Not flushed: the unique constraint on the code fails in the commit.
            db.session.add(Theme(code=existing.code, name_ja="重複", name_en="Dup", sort_order=99))
        assert not call.ok and call.failed
        assert SAVE_FAILED in get_flashed_messages()[0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Theme).where(
        Theme.code == existing.code)) == 1


def test_domain_errors_still_go_to_their_handlers(app):
    with app.test_request_context(), pytest.raises(DomainError), service_call():
        raise DomainError("not caught without refused=")


def test_success_is_unchanged(app):
    make_liaison()
    with app.test_request_context():
        with service_call() as call:
            pass
        assert call.ok and not call.failed
