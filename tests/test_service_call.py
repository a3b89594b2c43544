"""views.service_call: commit on success; roll back and show a refusal; let other errors through."""
import pytest
import sqlalchemy as sa
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from wtforms import StringField

from supportdesk.extensions import db
from supportdesk.models import Theme
from supportdesk.services import DomainError, ValidationFailed
from supportdesk.views.service_call import service_call


class NameForm(FlaskForm):
    name = StringField()


def _add_theme():
    db.session.add(Theme(code="probe", name_ja="試し", name_en="Probe", sort_order=99))
    db.session.flush()


def _theme_saved():
    db.session.expire_all()
    return db.session.scalar(sa.select(Theme).where(Theme.code == "probe")) is not None


def test_success_commits_and_flashes_nothing(app):
    with app.test_request_context():
        with service_call() as call:
            _add_theme()
        assert call.ok and not call.refused
        assert get_flashed_messages() == []
    assert _theme_saved()


def test_validation_failed_rolls_back_and_goes_beside_its_field(app):
    with app.test_request_context(method="POST"):
        form = NameForm(meta={"csrf": False})
        form.validate()
        with service_call(form) as call:
            _add_theme()
            raise ValidationFailed("名前を入力してください。", field="name")
        assert not call.ok and not call.refused
        assert form.name.errors == ["名前を入力してください。"]
        assert get_flashed_messages() == []
    assert not _theme_saved()


def test_validation_failed_without_a_field_is_flashed(app):
    with app.test_request_context(method="POST"):
        form = NameForm(meta={"csrf": False})
        with service_call(form) as call:
            raise ValidationFailed("保存できません。")
        assert not call.ok
        assert get_flashed_messages(with_categories=True) == [("error", "保存できません。")]


def test_refused_errors_are_flashed_and_marked(app):
    with app.test_request_context():
        with service_call(refused=DomainError) as call:
            _add_theme()
            raise DomainError("すでに回答済みです。")
        assert call.refused and not call.ok
        assert get_flashed_messages(with_categories=True) == [("error", "すでに回答済みです。")]
    assert not _theme_saved()


def test_other_errors_propagate(app):
    with app.test_request_context():
        with pytest.raises(DomainError):
            with service_call():
                raise DomainError("not caught without refused=")
