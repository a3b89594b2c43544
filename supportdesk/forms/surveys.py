"""Forms of the survey builder (settings, a question) and the CSRF-only forms of its buttons
and of the answer form (whose fields come from the survey's questions)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, IntegerField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..models.org import DX_STAFF_BANDS, POPULATION_BANDS
from ..models.survey import LECTURE_QUESTION_KINDS, QUESTION_KINDS
from .notifications import choices


class SurveyForm(FlaskForm):
    title = StringField(_l("件名"), validators=[
        DataRequired(_l("件名を入力してください。")), Length(max=200)])
    purpose = TextAreaField(_l("調査の目的・説明"), validators=[
        DataRequired(_l("調査の目的を入力してください。")), Length(max=10000)])
    deadline = DateField(_l("回答期限"), validators=[
        DataRequired(_l("回答期限を日付で入力してください。"))])
    reminder_days = IntegerField(_l("リマインド(期限の何営業日前)"), default=3, validators=[
        InputRequired(_l("0~20の数字を入力してください。")),
        NumberRange(0, 20, _l("0~20の数字を入力してください。"))])
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
    recipient_role = SelectField(_l("回答者"), validators=[Optional()])


class QuestionForm(FlaskForm):
    kind = SelectField(_l("質問の種類"), choices=choices((k, _l(v)) for k, v in QUESTION_KINDS.items()))
    label = StringField(_l("質問文"), validators=[
        DataRequired(_l("質問文を入力してください。")), Length(max=300)])
    help_text = TextAreaField(_l("補足説明"), validators=[Optional(), Length(max=2000)])
    options = TextAreaField(_l("選択肢・表の列名(1行に1つ)"), validators=[Optional(), Length(max=4000)])
    required = BooleanField(_l("回答必須"))
    status_item_key = StringField(_l("DX状況項目への反映(項目キー)"),
                                  validators=[Optional(), Length(max=80)])


class LectureQuestionForm(FlaskForm):
    kind = SelectField(_l("質問の種類"), choices=choices(
        (k, _l(QUESTION_KINDS[k])) for k in LECTURE_QUESTION_KINDS))
    label = StringField(_l("質問文"), validators=[
        DataRequired(_l("質問文を入力してください。")), Length(max=300)])
    help_text = TextAreaField(_l("補足説明"), validators=[Optional(), Length(max=2000)])
    options = TextAreaField(_l("選択肢(1行に1つ)"), validators=[Optional(), Length(max=4000)])
    required = BooleanField(_l("回答必須"))


class ButtonForm(FlaskForm):
    """CSRF only: open, close, move and delete buttons, and the answer form."""
