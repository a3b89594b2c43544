"""Forms for chat rooms, notification preferences and push announcements."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, MultipleFileField, PasswordField,
                     RadioField, SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..models.announcement import ANNOUNCEMENT_CATEGORIES, DEPARTMENT_CHOICES
from ..models.notification import ROOM_SCOPES
from ..models.org import DX_STAFF_BANDS, POPULATION_BANDS
from ..notifications.channels.webhook import FORMATS
from ..workflows.contacts import ROLE_LABELS as CONTACT_ROLE_LABELS
from . import MultiCheckboxField


def choices(pairs):
    """(value, label) pairs as the SelectChoice objects WTForms 3.3 expects."""
    return [SelectChoice(value, label) for value, label in pairs]


class ChatRoomForm(FlaskForm):
    name = StringField(_l("ルーム名"), validators=[
        DataRequired(_l("ルーム名を入力してください。")), Length(max=100)])
    scope = SelectField(_l("種類"), choices=choices((k, _l(v)) for k, v in ROOM_SCOPES.items()))
    municipality_id = SelectField(_l("市町(市町のルーム)"), coerce=int, validators=[Optional()])
    region_id = SelectField(_l("圏域(リエゾンチームのルーム)"), coerce=int, validators=[Optional()])
    webhook_url = StringField(_l("Webhook URL"), validators=[Optional(), Length(max=500)])
    secret = PasswordField(_l("署名用シークレット"), validators=[Optional(), Length(max=200)])
    format = SelectField(_l("メッセージ形式"), choices=choices((k, _l(f.label)) for k, f in FORMATS.items()))
    active = BooleanField(_l("有効"), default=True)


class NotificationPreferencesForm(FlaskForm):
    """CSRF only: the per-event checkboxes are generated from the WHO_HEARS table."""

    digest = BooleanField(_l("メールは1日1回のまとめ(ダイジェスト)で受け取る"))


class AnnouncementForm(FlaskForm):
    title = StringField(_l("件名"), validators=[
        DataRequired(_l("件名を入力してください。")), Length(max=200)])
    category = SelectField(_l("区分"), choices=choices((c, _l(c)) for c in ANNOUNCEMENT_CATEGORIES))
    body = TextAreaField(_l("本文"), validators=[
        DataRequired(_l("本文を入力してください。")), Length(max=20000)])
    links = TextAreaField(_l("関連リンク(1行に1つ)"), validators=[Optional(), Length(max=4000)])
    attachments = MultipleFileField(_l("添付ファイル"))
    target_all = BooleanField(_l("全市町に送る"))
    region_ids = SelectMultipleField(_l("圏域"), coerce=int, validators=[Optional()])
    population_bands = SelectMultipleField(_l("人口規模"),
                                           choices=choices((b, b) for b in POPULATION_BANDS),
                                           validators=[Optional()])
    dx_staff_bands = SelectMultipleField(_l("DX・情報担当職員数"),
                                         choices=choices((b, b + "人") for b in DX_STAFF_BANDS),
                                         validators=[Optional()])
    municipality_ids = SelectMultipleField(_l("個別に指定する市町"), coerce=int,
                                           validators=[Optional()])
    contact_roles = MultiCheckboxField(
        _l("連絡先の役職に送る(選ぶと職員ではなく、対象市町のこの役職の方に届きます)"),
        choices=choices((r.value, _l(label)) for r, label in CONTACT_ROLE_LABELS.items()),
        validators=[Optional()])
    departments = RadioField(_l("対象の部署"), default="info",
                             choices=choices((k, _l(v)) for k, v in DEPARTMENT_CHOICES.items()))
    send_mode = RadioField(_l("送信"), default="now",
                           choices=choices([("now", _l("今すぐ送信")),
                                            ("scheduled", _l("日時を指定して送信"))]))
    scheduled_at = DateTimeLocalField(_l("送信日時"), format="%Y-%m-%dT%H:%M",
                                      validators=[Optional()])
