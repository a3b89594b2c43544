"""Forms of training (研修): a course, an application, the approver's note, material, a
completion list, and the 市町DX推進リーダー cohort, trainee and progress entry."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, IntegerField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..models.org import DX_STAFF_BANDS, POPULATION_BANDS
from ..workflows.contacts import ROLE_LABELS as CONTACT_ROLE_LABELS
from ..workflows.training import AUDIENCES, FORMATS, LEVELS, MATERIAL_KINDS, TERMS
from . import MultiCheckboxField, choices


class CourseForm(FlaskForm):
    title = StringField(_l("研修名"), validators=[
        DataRequired(_l("研修名を入力してください。")), Length(max=200)])
    description = TextAreaField(_l("内容"), validators=[
        DataRequired(_l("研修の内容を入力してください。")), Length(max=10000)])
    level = SelectField(_l("レベル"), choices=choices((k, _l(v)) for k, v in LEVELS.items()))
    format = SelectField(_l("実施形式"), choices=choices((k, _l(v)) for k, v in FORMATS.items()))
    venue = StringField(_l("会場・参加方法"), validators=[Optional(), Length(max=200)])
    starts_on = DateField(_l("開始日"), validators=[DataRequired(_l("開始日を日付で入力してください。"))])
    ends_on = DateField(_l("終了日"), validators=[DataRequired(_l("終了日を日付で入力してください。"))])
    capacity = IntegerField(_l("定員"), validators=[
        InputRequired(_l("定員を数字で入力してください。")),
        NumberRange(1, 10000, _l("定員は1~10000の数字で入力してください。"))])
    apply_by = DateField(_l("申込締切"), validators=[
        DataRequired(_l("申込締切を日付で入力してください。"))])
    requires_approval = BooleanField(_l("申込に市町の情報部門の承認が必要"), default=True)
    audience = SelectField(_l("対象の部署"), default="all",
                           choices=choices((k, _l(v)) for k, v in AUDIENCES.items()))
    target_all = BooleanField(_l("全市町を対象にする"))
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
        _l("役職で絞る(連絡先に登録された人だけが申し込めます)"),
        choices=choices((r.value, _l(label)) for r, label in CONTACT_ROLE_LABELS.items()),
        validators=[Optional()])


class ApplyForm(FlaskForm):
    note = TextAreaField(_l("受講の目的・連絡事項(任意)"), validators=[Optional(), Length(max=2000)])


class DecisionForm(FlaskForm):
    note = StringField(_l("コメント(任意)"), validators=[Optional(), Length(max=1000)])


class CompletionForm(FlaskForm):
    application_ids = MultiCheckboxField(_l("修了した受講者"), coerce=int, validators=[Optional()])


class MaterialForm(FlaskForm):
    kind = SelectField(_l("種類"), choices=choices((k, _l(v)) for k, v in MATERIAL_KINDS.items()))
    title = StringField(_l("資料名"), validators=[
        DataRequired(_l("資料名を入力してください。")), Length(max=200)])
    url = StringField(_l("リンク(URL)"), validators=[Optional(), Length(max=500)])
    body = TextAreaField(_l("本文"), validators=[Optional(), Length(max=20000)])


class CohortForm(FlaskForm):
    name = StringField(_l("期の名称"), validators=[
        DataRequired(_l("期の名称を入力してください。")), Length(max=200)])
    fiscal_year = IntegerField(_l("年度(西暦)"), validators=[
        InputRequired(_l("年度を西暦で入力してください。")),
        NumberRange(2019, 2100, _l("年度を西暦で入力してください。"))])
    note = TextAreaField(_l("メモ"), validators=[Optional(), Length(max=4000)])


class TraineeForm(FlaskForm):
    municipality_id = SelectField(_l("市町"), coerce=int)
    name = StringField(_l("氏名"), validators=[
        DataRequired(_l("氏名を入力してください。")), Length(max=100)])
    department = StringField(_l("市町での所属"), validators=[Optional(), Length(max=100)])
    email = StringField(_l("メールアドレス"), validators=[Optional(), Length(max=254)])
    term = SelectField(_l("研修期間"), choices=choices((k, _l(v)) for k, v in TERMS.items()))
    starts_on = DateField(_l("開始日"), validators=[DataRequired(_l("開始日を日付で入力してください。"))])
    host_department = StringField(_l("受入所属(県)"), validators=[
        DataRequired(_l("受入所属を入力してください。")), Length(max=200)])
    mentor_id = SelectField(_l("メンター"), coerce=int, validators=[Optional()])
    learning_plan = TextAreaField(_l("研修計画"), validators=[
        DataRequired(_l("研修計画を入力してください。")), Length(max=10000)])


class ProgressForm(FlaskForm):
    noted_on = DateField(_l("日付"), validators=[Optional()])
    note = TextAreaField(_l("進捗"), validators=[
        DataRequired(_l("内容を入力してください。")), Length(max=10000)])


class ButtonForm(FlaskForm):
    """CSRF only: publish, cancel, complete and withdraw buttons."""
