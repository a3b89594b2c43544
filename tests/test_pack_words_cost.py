"""A page's translated messages look up the desk's word once per request, not once each.

At national size the monthly report translates a message per municipality (「なし」 for each of
1,741 with no contact): each gettext looked the desk identity up again through the reference
cache (~0.5 ms each on a loaded box), half of the page's 2.2 s (bench/national_bench.py).
"""
import pytest

from supportdesk.extensions import db


@pytest.fixture
def desk_calls(monkeypatch):
    from supportdesk.services import desk as desk_module

    calls = []
    real = desk_module.desk

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(desk_module, "desk", counting)
    return calls


def test_many_messages_in_one_request_read_the_desk_once(app, desk_calls):
    from flask_babel import gettext

    with app.test_request_context("/"):
        texts = {gettext("なし") for _ in range(200)}
        db.session.remove()
    assert texts == {"なし"}
    assert len(desk_calls) <= 1, len(desk_calls)


def test_the_word_still_follows_the_desk_in_the_next_request(app):
    """Memoised per request only: an admin's change to the word shows on the next page."""
    from flask_babel import gettext

    from supportdesk.models import DeskProfile
    from supportdesk.services.reference import bump_reference_version

    with app.test_request_context("/"):
        assert "市町" in gettext("市町")
    profile = db.session.get(DeskProfile, 1)
    profile.municipalities_word = "市町村"
    bump_reference_version()
    db.session.commit()
    with app.test_request_context("/"):
        assert gettext("市町") == "市町村"
