"""Forms of meetings and forums: a series, a meeting, an answer, the minutes, an action item and
closing it (attendance and the buttons are CSRF-only forms)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, IntegerField,
                     MultipleFileField, RadioField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..workflows.contacts import ROLE_LABELS as CONTACT_ROLE_LABELS
from ..workflows.meetings import (ANSWER_LABELS, ITEM_KIND_LABELS, OWNER_LABELS,
                                  SERIES_KIND_LABELS)
from . import MultiCheckboxField
from .notifications import choices


class SeriesForm(FlaskForm):
    kind = SelectField(_l("会議の種類"),
                       choices=choices((k.value, _l(v)) for k, v in SERIES_KIND_LABELS.items()))
    title = StringField(_l("名称"), validators=[
        DataRequired(_l("名称を入力してください。")), Length(max=200)])
    theme = StringField(_l("テーマ(ワーキンググループ)"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("説明"), validators=[Optional(), Length(max=5000)])
    member_roles = MultiCheckboxField(
        _l("メンバー(連絡先の役職:各市町のこの役職の方)"),
        choices=choices((r.value, _l(label)) for r, label in CONTACT_ROLE_LABELS.items()),
        validators=[Optional()])
    member_info_dept = BooleanField(_l("各市町の情報部門の職員"))
    member_municipality_ids = SelectMultipleField(_l("対象の市町(指定しなければ全市町)"), coerce=int,
                                                  validators=[Optional()])
    member_contact_ids = SelectMultipleField(_l("個別に指定する連絡先"), coerce=int,
                                             validators=[Optional()])
    member_user_ids = SelectMultipleField(_l("個別に指定する利用者(専門人材・県職員など)"), coerce=int,
                                          validators=[Optional()])


class MeetingForm(FlaskForm):
    title = StringField(_l("件名"), validators=[
        DataRequired(_l("件名を入力してください。")), Length(max=200)])
    starts_at = DateTimeLocalField(_l("開始日時"), format="%Y-%m-%dT%H:%M", validators=[
        DataRequired(_l("開始日時を入力してください。"))])
    ends_at = DateTimeLocalField(_l("終了日時"), format="%Y-%m-%dT%H:%M", validators=[
        DataRequired(_l("終了日時を入力してください。"))])
    venue = StringField(_l("会場"), validators=[Optional(), Length(max=200)])
    online_url = StringField(_l("オンライン会議のURL"), validators=[Optional(), Length(max=500)])
    agenda = TextAreaField(_l("議題・次第"), validators=[Optional(), Length(max=20000)])
    answer_deadline = DateField(_l("出欠の回答期限"), validators=[
        DataRequired(_l("回答期限を日付で入力してください。"))])
    reminder_days = IntegerField(_l("リマインド(回答期限の何営業日前)"), default=2, validators=[
        InputRequired(_l("0~20の数字を入力してください。")),
        NumberRange(0, 20, _l("0~20の数字を入力してください。"))])
    materials = MultipleFileField(_l("資料"))


class AnswerForm(FlaskForm):
    answer = RadioField(_l("出欠"),
                        choices=choices((a.value, _l(v)) for a, v in ANSWER_LABELS.items()),
                        validators=[InputRequired(_l("出席・欠席・代理出席のいずれかを選んでください。"))])
    substitute_name = StringField(_l("代理出席者の氏名・役職"), validators=[Optional(), Length(max=100)])
    note = StringField(_l("連絡事項"), validators=[Optional(), Length(max=500)])


class MinutesForm(FlaskForm):
    minutes = TextAreaField(_l("議事録"), validators=[
        DataRequired(_l("議事録を入力してください。")), Length(max=50000)])
    internal = BooleanField(_l("県内部限り(市町には公開しない)"))


class ItemForm(FlaskForm):
    kind = RadioField(_l("区分"), default="action",
                      choices=choices((k.value, _l(v)) for k, v in ITEM_KIND_LABELS.items()))
    title = StringField(_l("内容"), validators=[
        DataRequired(_l("内容を入力してください。")), Length(max=300)])
    detail = TextAreaField(_l("補足"), validators=[Optional(), Length(max=5000)])
    owner_kind = SelectField(_l("担当の種類"),
                             choices=choices((k.value, _l(v)) for k, v in OWNER_LABELS.items()))
    owner_municipality_id = SelectField(_l("担当の市町"), coerce=int, validators=[Optional()])
    owner_department_id = SelectField(_l("担当の県の関係部署"), coerce=int, validators=[Optional()])
    owner_user_id = SelectField(_l("担当者"), coerce=int, validators=[Optional()])
    due_on = DateField(_l("期限"), validators=[DataRequired(_l("期限を日付で入力してください。"))])
    internal = BooleanField(_l("県内部限り"))


class CloseItemForm(FlaskForm):
    note = TextAreaField(_l("完了の内容"), validators=[
        DataRequired(_l("完了の内容(メモ)を入力してください。")), Length(max=5000)])


class ButtonForm(FlaskForm):
    """CSRF only: invite, cancel, attendance (the checkboxes are read from the form)."""
