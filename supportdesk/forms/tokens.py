"""The personal API token form."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from ..services.accounts.api_tokens import max_token_days


class TokenForm(FlaskForm):
    name = StringField(_l("名前(用途)"), validators=[
        DataRequired(_l("名前を入力してください。")), Length(max=100)])
    scope = SelectField(_l("権限"), choices=[SelectChoice("read", _l("読み取りのみ")),
                                             SelectChoice("write", _l("読み書き"))])
    days = IntegerField(_l("有効期間(日)"), default=90, validators=[
        DataRequired(_l("有効期間を入力してください。")),
        NumberRange(min=1, message=_l("1日以上で指定してください。"))])

    def validate_days(self, field):
        # The same bound as the service and the CLI: API_TOKEN_MAX_DAYS.
        limit = max_token_days()
        if field.data is not None and field.data > limit:
            raise ValidationError(_("有効期間は1〜%(max)d日で指定してください。", max=limit))
