"""Request forms: consultation, outreach lecture, accompaniment, actions, replies, 定型文."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..models.waiting import WAITING_LABELS
from ..services import catalogue
from ..models.support_request import AUDIENCES, LECTURE_FORMATS
from ..timeutil import JST, utcnow
from . import MultiCheckboxField, choices

def _choices(mapping):
    return [SelectChoice(k, _l(v)) for k, v in mapping.items()]


class CandidateDateForm(Form):
    day = DateField(_l("日付"), validators=[Optional()])
    start = TimeField(_l("開始"), validators=[Optional()])
    end = TimeField(_l("終了"), validators=[Optional()])


class RequestForm(FlaskForm):
    """Fields every kind shares; subclasses add their own."""

    municipality_id = SelectField(_l("市町"), coerce=int, validators=[Optional()])
    title = StringField(_l("件名"), validators=[DataRequired(_l("件名を入力してください。")),
                                               Length(max=200, message=_l("200文字以内で入力してください。"))])
    theme_ids = MultiCheckboxField(_l("テーマ"), coerce=int, validators=[Optional()])
    body = TextAreaField(_l("課題・相談内容"), validators=[
        Length(max=10000, message=_l("10000文字以内で入力してください。"))])
    attachments = MultipleFileField(_l("添付ファイル"))
    version = HiddenField()
    # Set by the view before validation: submitting needs more than saving a draft.
    submitting = False

    def validate_body(self, field):
        if self.submitting and not (field.data or "").strip():
            raise ValidationError(_l("提出するには内容を入力してください。"))


class ConsultationForm(RequestForm):
    # Choices from the programme catalogue (the view's _setup, services.catalogue.choices).
    help_wanted = MultiCheckboxField(_l("希望する支援"), choices=[], validators=[Optional()])
    urgent = BooleanField(_l("急ぎの相談"))
    needed_by = DateField(_l("いつまでに必要か"), validators=[Optional()])


class AccompanimentForm(ConsultationForm):
    parent_id = SelectField(_l("元の出前講座・相談"), coerce=int, validators=[Optional()])


class LectureForm(RequestForm):
    body = TextAreaField(_l("講座で扱いたい課題"), validators=[
        Length(max=10000, message=_l("10000文字以内で入力してください。"))])
    origin_push = BooleanField(_l("プッシュ型出前講座(リエゾンからの提案)"))
    program = SelectField(_l("講座メニュー"), choices=[],  # the catalogue's lecture menus
                          validators=[DataRequired(_l("講座メニューを選んでください。"))])
    formats = MultiCheckboxField(_l("実施形態"), choices=_choices(LECTURE_FORMATS),
                                 validators=[Optional()])
    audiences = MultiCheckboxField(_l("対象者"), choices=_choices(AUDIENCES),
                                   validators=[Optional()])
    expected_participants = IntegerField(_l("参加予定人数"), validators=[
        Optional(), NumberRange(min=1, max=1000, message=_l("1〜1000の数を入力してください。"))])
    candidates = FieldList(FormField(CandidateDateForm), label=_l("候補日時"), min_entries=3,
                           max_entries=3)
    venue = StringField(_l("会場"), validators=[Optional(), Length(max=200)])
    online = BooleanField(_l("オンラインで実施"))
    co_municipality_ids = SelectMultipleField(_l("共同申込の市町(合同開催)"), coerce=int,
                                              validators=[Optional()])
    prework = TextAreaField(_l("事前ワーク(実施済みの内容)"), validators=[
        Optional(), Length(max=10000, message=_l("10000文字以内で入力してください。"))])
    prework_files = MultipleFileField(_l("事前ワークの資料"))
    # Dates already on the request (edit): they may lie in the past by now and stay valid.
    existing = frozenset()

    def validate_candidates(self, field):
        """Complete rows only, end after start, in the future; two or more to submit."""
        now = utcnow()
        complete = 0
        for entry in field.entries:
            row = entry.form
            values = (row.day.data, row.start.data, row.end.data)
            if not any(values):
                continue
            if not all(values):
                row.day.errors = list(row.day.errors) + [_l("日付・開始・終了をすべて入力してください。")]
                raise ValidationError(_l("候補日時の入力が途中です。"))
            starts = datetime.combine(row.day.data, row.start.data, tzinfo=JST)
            ends = datetime.combine(row.day.data, row.end.data, tzinfo=JST)
            if ends <= starts:
                row.end.errors = list(row.end.errors) + [_l("終了は開始より後にしてください。")]
                raise ValidationError(_l("候補日時の終了は開始より後にしてください。"))
            if starts <= now and (starts.timestamp(), ends.timestamp()) not in self.existing:
                row.day.errors = list(row.day.errors) + [_l("今日より後の日時を入力してください。")]
                raise ValidationError(_l("候補日時は今日より後の日時にしてください。"))
            complete += 1
        push = self.origin_push is not None and self.origin_push.data
        if self.submitting and not push and complete < 2:
            raise ValidationError(_l("候補日時を2つ以上入力してください(最大3つ)。"))

    @property
    def candidate_dates(self):
        """The filing service names this field candidate_dates: its refusals (a date on a
        holiday...) go beside the dates, like the form's own."""
        return self.candidates

    def candidate_messages(self):
        """The list-level messages (the per-row ones sit next to their inputs)."""
        return [str(e) for e in self.candidates.errors if not isinstance(e, (list, dict))]

    def candidate_values(self):
        out = []
        for entry in self.candidates.entries:
            row = entry.form
            if row.day.data and row.start.data and row.end.data:
                out.append((datetime.combine(row.day.data, row.start.data, tzinfo=JST),
                            datetime.combine(row.day.data, row.end.data, tzinfo=JST)))
        return sorted(out)


FORMS = {"consultation": ConsultationForm, "lecture": LectureForm,
         "accompaniment": AccompanimentForm}


class ActionForm(FlaskForm):
    reason = TextAreaField(_l("理由"), validators=[Optional(), Length(max=2000)])
    hold_until = DateField(_l("再開予定日"), validators=[Optional()])


class WaitingForm(FlaskForm):
    waiting_for = SelectField(_l("誰の回答を待つか"), choices=choices(
        (w.value, _l(label)) for w, label in WAITING_LABELS.items()),
        validators=[DataRequired(_l("誰の回答を待つかを選んでください。"))])
    reason = TextAreaField(_l("待っている内容"), validators=[Optional(), Length(max=2000)])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("本文"), validators=[DataRequired(_l("本文を入力してください。")),
                                                Length(max=10000)])
    internal = BooleanField(_l("内部メモ(県側のみ閲覧)"))
    attachments = MultipleFileField(_l("添付ファイル"))


class SupportActionForm(FlaskForm):
    kind = SelectField(_l("支援の種類"), choices=[])
    target_department = StringField(_l("橋渡し先の県関係課"), validators=[Optional(), Length(max=100)])
    target_municipality_id = SelectField(_l("橋渡し先の先行市町"), coerce=int,
                                         validators=[Optional()])
    case_id = IntegerField(_l("紹介した事例の番号"), validators=[Optional()])
    vendor_name = StringField(_l("紹介した事業者"), validators=[Optional(), Length(max=200)])
    note = TextAreaField(_l("メモ"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k, label) for k, label in catalogue.choices(catalogue.SUPPORT_KIND)]


class ReplyTemplateForm(FlaskForm):
    title = StringField(_l("題名"), validators=[DataRequired(_l("題名を入力してください。")),
                                               Length(max=100)])
    body = TextAreaField(_l("本文"), validators=[DataRequired(_l("本文を入力してください。")),
                                                Length(max=5000)])
    active = BooleanField(_l("使用する"), default=True)
