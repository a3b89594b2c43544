"""Forms of joint projects (この指とまれ): the proposal, a milestone and its status, the
municipality's answer, the liaison's record of an answer, a notice to the participants."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateField, IntegerField, MultipleFileField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..models.project import ANSWERS, COST_KINDS, ELIGIBILITY, MILESTONE_STATUSES, SERVICE_KINDS
from .notifications import choices

YEN = _l("金額は0以上の整数(円)で入力してください。")


def _yen(label):
    return IntegerField(label, validators=[Optional(), NumberRange(0, 10**13, YEN)])


class ProjectForm(FlaskForm):
    title = StringField(_l("事業名"), validators=[
        DataRequired(_l("事業名を入力してください。")), Length(max=200)])
    purpose = TextAreaField(_l("事業の目的・内容"), validators=[
        DataRequired(_l("事業の目的を入力してください。")), Length(max=10000)])
    fiscal_year = IntegerField(_l("年度(西暦)"), validators=[
        InputRequired(_l("年度を西暦で入力してください。")),
        NumberRange(2000, 2100, _l("年度を西暦で入力してください。"))])
    eligibility = RadioField(_l("参加できる市町"), default="all",
                             choices=choices((k, _l(v)) for k, v in ELIGIBILITY.items()))
    region_ids = SelectMultipleField(_l("圏域"), coerce=int, validators=[Optional()])
    service_kinds = SelectMultipleField(
        _l("事業の種類"), choices=choices((k, _l(v)) for k, v in SERVICE_KINDS.items()),
        validators=[Optional()])
    join_deadline = DateField(_l("参加の回答期限"), validators=[
        DataRequired(_l("参加の回答期限を日付で入力してください。"))])
    cost_kind = RadioField(_l("負担金の算定方法"), default="fixed",
                           choices=choices((k, _l(v)) for k, v in COST_KINDS.items()))
    cost_fixed_yen = _yen(_l("定額の負担金(1団体あたり・円)"))
    cost_base_yen = _yen(_l("均等割(1団体あたり・円)"))
    cost_per_capita_yen = _yen(_l("人口割の単価(人口1人あたり・円)"))
    funding_name = StringField(_l("財源(交付金など)"), validators=[Optional(), Length(max=200)])
    subsidy_rate_num = IntegerField(_l("補助率の分子"), validators=[
        Optional(), NumberRange(0, 1000, _l("補助率は0以上の整数で入力してください。"))])
    subsidy_rate_den = IntegerField(_l("補助率の分母"), validators=[
        Optional(), NumberRange(1, 1000, _l("補助率の分母は1以上の整数で入力してください。"))])
    contract_note = TextAreaField(_l("契約・調達の方法"), validators=[Optional(), Length(max=2000)])
    coordinator = StringField(_l("取りまとめ(県の担当)"), validators=[Optional(), Length(max=200)])


class MilestoneForm(FlaskForm):
    title = StringField(_l("マイルストーン"), validators=[
        DataRequired(_l("マイルストーンの名前を入力してください。")), Length(max=200)])
    due_on = DateField(_l("予定日"), validators=[Optional()])
    status = SelectField(_l("状況"), default="planned",
                         choices=choices((k, _l(v)) for k, v in MILESTONE_STATUSES.items()))
    note = StringField(_l("メモ"), validators=[Optional(), Length(max=2000)])


class MilestoneStatusForm(FlaskForm):
    status = SelectField(_l("状況"),
                         choices=choices((k, _l(v)) for k, v in MILESTONE_STATUSES.items()))
    note = StringField(_l("メモ"), validators=[Optional(), Length(max=2000)])


class AnswerForm(FlaskForm):
    answer = RadioField(_l("回答"), choices=choices((k, _l(v)) for k, v in ANSWERS.items()),
                        validators=[InputRequired(_l("参加・検討中・見送りのいずれかを選んでください。"))])
    contact = StringField(_l("担当者(部署・氏名・電話またはメール)"), validators=[
        DataRequired(_l("担当者(部署・氏名・連絡先)を入力してください。")), Length(max=200)])
    population = IntegerField(_l("負担金の算定に使う人口(人口割の事業のみ)"), validators=[
        Optional(), NumberRange(1, 10**8, _l("人口は1以上の整数で入力してください。"))])
    note = TextAreaField(_l("備考"), validators=[Optional(), Length(max=4000)])


class RecordAnswerForm(AnswerForm):
    municipality_id = SelectField(_l("市町"), coerce=int, validators=[
        InputRequired(_l("市町を選んでください。"))])
    agreed_yen = _yen(_l("合意した負担額(円・協議により決定する事業)"))


class NoticeForm(FlaskForm):
    title = StringField(_l("件名"), validators=[
        DataRequired(_l("件名を入力してください。")), Length(max=200)])
    body = TextAreaField(_l("本文"), validators=[
        DataRequired(_l("本文を入力してください。")), Length(max=10000)])
    attachments = MultipleFileField(_l("資料"))


class ButtonForm(FlaskForm):
    """CSRF only: open and close buttons, the service-kind matrix."""
