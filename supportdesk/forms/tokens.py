"""The personal API token form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange


class TokenForm(FlaskForm):
    name = StringField(_l("名前(用途)"), validators=[
        DataRequired(_l("名前を入力してください。")), Length(max=100)])
    scope = SelectField(_l("権限"), choices=[SelectChoice("read", _l("読み取りのみ")),
                                             SelectChoice("write", _l("読み書き"))])
    days = IntegerField(_l("有効期間(日)"), default=90, validators=[
        DataRequired(_l("有効期間を入力してください。")),
        NumberRange(min=1, max=366, message=_l("1〜366日で指定してください。"))])
