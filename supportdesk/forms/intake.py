"""Forms of the form-service connections (LoGoフォーム...) and their CSV import."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from . import choices
from ..models.form_intake import DEFAULT_LABELS, MAPPABLE, MODE_LABELS
from ..models.support_request import KIND_LABELS


class FormConnectionForm(FlaskForm):
    name = StringField(_l("接続の名前"), validators=[
        DataRequired(_l("接続の名前を入力してください。")),
        Length(max=100, message=_l("100文字以内で入力してください。"))])
    mode = SelectField(_l("取り込み方法"))
    default_kind = SelectField(_l("依頼の種類(設問がないとき)"))


def connection_form(formdata=None):
    """The connection form with one label field per mappable request field."""

    class F(FormConnectionForm):
        pass

    for key, label in MAPPABLE.items():
        setattr(F, f"label_{key}", StringField(label, default=DEFAULT_LABELS[key], validators=[
            Length(max=100, message=_l("100文字以内で入力してください。"))]))
    form = F(formdata=formdata) if formdata is not None else F()
    form.mode.choices = choices([(k.value, v) for k, v in MODE_LABELS.items()])
    form.default_kind.choices = choices(list(KIND_LABELS.items()))
    return form


class CsvImportForm(FlaskForm):
    file = FileField(_l("CSVファイル(UTF-8 または Shift_JIS)"))
