"""The webhook subscription form (admin)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from ..notifications.subscriptions import WEBHOOK_EVENTS
from . import MultiCheckboxField, choices


class WebhookForm(FlaskForm):
    name = StringField(_l("名前(送信先の説明)"), validators=[
        DataRequired(_l("名前を入力してください。")), Length(max=100)])
    url = StringField(_l("送信先URL"), validators=[
        DataRequired(_l("送信先URLを入力してください。")),
        Length(max=500, message=_l("URLが長すぎます(500文字まで)。"))])
    event_types = MultiCheckboxField(_l("通知するイベント"),
                                     choices=choices(WEBHOOK_EVENTS.items()))
    active = BooleanField(_l("有効"), default=True)
