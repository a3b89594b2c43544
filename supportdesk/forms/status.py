"""Forms of the DX status tracker: a value with its as-of date, a system's standardisation
state, and a catalogue item (admins)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, IntegerField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..models.standardisation import MIGRATION_STATE_LABELS
from ..models.status import GROUP_LABELS, ITEM_TYPE_LABELS
from ..services.municipalities.status import step_label

REQUIRED = _l("値を入力してください。")
AS_OF = _l("時点(いつの状況か)")
DATE_MESSAGE = _l("日付は 2025-04-01 の形で入力してください。")


class _StatusValueForm(FlaskForm):
    as_of = DateField(AS_OF, validators=[DataRequired(DATE_MESSAGE)])


def status_value_form(item, **kwargs):
    """The form for a value of `item`: the field fits its type (the service checks the value)."""
    if item.item_type == "step":
        field = SelectField(_l("値"), choices=[SelectChoice("", "—")] + [
            SelectChoice(str(i), step_label(item, i)) for i in range(len(item.steps or []))],
            validators=[DataRequired(_l("段階を一覧から選んでください。"))])
    elif item.item_type == "yesno":
        field = SelectField(_l("値"), choices=[SelectChoice("", "—"), SelectChoice("1", _l("はい")),
                                     SelectChoice("0", _l("いいえ"))],
                            validators=[DataRequired(_l("「はい」か「いいえ」を選んでください。"))])
    elif item.item_type == "date":
        field = DateField(_l("値"), validators=[DataRequired(DATE_MESSAGE)])
    elif item.item_type == "text":
        field = TextAreaField(_l("値"), validators=[DataRequired(REQUIRED), Length(max=2000)])
    else:
        field = StringField(_l("値(パーセント)"), validators=[DataRequired(REQUIRED)],
                            render_kw={"inputmode": "decimal"})

    class Form(_StatusValueForm):
        pass

    Form.value = field
    return Form(**kwargs)


class SystemMigrationForm(FlaskForm):
    status = SelectField(_l("移行状況"), choices=[SelectChoice(k, _l(v)) for k, v in MIGRATION_STATE_LABELS.items()],
                         validators=[DataRequired(_l("移行状況を選んでください。"))])
    planned_on = DateField(_l("移行予定日"), validators=[Optional()])
    migrated_on = DateField(_l("移行日(実績)"), validators=[Optional()])
    special_support = BooleanField(_l("特定移行支援システム"))
    vendor = StringField(_l("事業者(ベンダ)"), validators=[Optional(), Length(max=100)])
    line_contracted = BooleanField(_l("ガバメントクラウド接続回線を契約済み"))
    as_of = DateField(AS_OF, validators=[DataRequired(DATE_MESSAGE)])


class ChecklistForm(FlaskForm):
    """The standardisation checklist sent as a survey: its deadline and (none = all) regions."""
    deadline = DateField(_l("回答期限"),
                         validators=[DataRequired(_l("回答期限を日付で入力してください。"))])
    region_ids = SelectMultipleField(_l("圏域(選ばなければ全市町)"), coerce=int,
                                     validators=[Optional()])


class StatusItemForm(FlaskForm):
    key = StringField(_l("キー(英数字)"), validators=[DataRequired(_l("キーを入力してください。")),
                                                    Length(max=40)])
    label_ja = StringField(_l("名称"), validators=[DataRequired(_l("名称を入力してください。")),
                                                 Length(max=120)])
    label_en = StringField(_l("名称(英語)"), validators=[Optional(), Length(max=120)])
    item_type = SelectField(_l("種類"), choices=[SelectChoice(k, _l(v)) for k, v in ITEM_TYPE_LABELS.items()])
    item_group = SelectField(_l("分類"), choices=[SelectChoice(k, _l(v)) for k, v in GROUP_LABELS.items()])
    steps = TextAreaField(_l("段階(1行に1つ、低い順)"), validators=[Optional()])
    description = TextAreaField(_l("説明"), validators=[Optional(), Length(max=2000)])
    sort_order = IntegerField(_l("表示順"), validators=[Optional()])
    active = BooleanField(_l("使用中"), default=True)
