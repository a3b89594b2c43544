"""Visit, record, follow-up, satisfaction and engagement forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..models.engagement import ACHIEVEMENTS
from ..models.visit import VISIT_KINDS
from . import MultiCheckboxField

DT_FORMAT = "%Y-%m-%dT%H:%M"


def choices(pairs):
    """(value, label) pairs as WTForms choices (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]
_when_required = _l("日時を入力してください(例: 2025-11-10 10:00)。")


def _count(label):
    return IntegerField(label, default=0, validators=[
        Optional(), NumberRange(min=0, max=100000, message=_l("人数は0以上で入力してください。"))])


class VisitForm(FlaskForm):
    kind = SelectField(_l("種類"), choices=choices((k, _l(v)) for k, v in VISIT_KINDS.items()))
    title = StringField(_l("件名"), validators=[DataRequired(_l("件名を入力してください。")),
                                              Length(max=200)])
    municipality_ids = MultiCheckboxField(_l("訪問先の市町"), coerce=int, validators=[
        DataRequired(_l("訪問先の市町を選んでください。"))])
    starts_at = DateTimeLocalField(_l("開始(日本時間)"), format=DT_FORMAT,
                                   validators=[DataRequired(_when_required)])
    ends_at = DateTimeLocalField(_l("終了(日本時間)"), format=DT_FORMAT,
                                 validators=[DataRequired(_when_required)])
    venue = StringField(_l("会場"), validators=[Optional(), Length(max=200)])
    online_details = TextAreaField(_l("オンライン会議の情報"), validators=[Optional()])
    attendee_ids = MultiCheckboxField(_l("同行する専門人材・リエゾン"), coerce=int,
                                       validators=[Optional()])
    confirm_now = BooleanField(_l("この日程で確定する"))


class ScheduleForm(FlaskForm):
    candidate_id = RadioField(_l("市町の候補日"), coerce=int, validators=[
        InputRequired(_l("候補日を選んでください。"))])
    attendee_ids = MultiCheckboxField(_l("派遣する専門人材"), coerce=int, validators=[Optional()])
    venue = StringField(_l("会場"), validators=[Optional(), Length(max=200)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("中止の理由"), validators=[
        DataRequired(_l("中止の理由を入力してください。"))])


class PostponeForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("新しい開始(日本時間)"), format=DT_FORMAT,
                                   validators=[DataRequired(_when_required)])
    ends_at = DateTimeLocalField(_l("新しい終了(日本時間)"), format=DT_FORMAT,
                                 validators=[DataRequired(_when_required)])
    reason = TextAreaField(_l("延期の理由"), validators=[Optional()])


class RecordForm(FlaskForm):
    attendees_executives = _count(_l("参加者数: 首長・幹部"))
    attendees_business = _count(_l("参加者数: 業務担当課"))
    attendees_information = _count(_l("参加者数: 情報部門"))
    attendees_other = _count(_l("参加者数: その他"))
    covered = TextAreaField(_l("実施内容"), validators=[DataRequired(_l("実施内容を入力してください。"))])
    issues = TextAreaField(_l("把握した課題"), validators=[Optional()])
    follow_ups = TextAreaField(_l("今後の対応"), validators=[Optional()])


FOLLOW_UP_TARGETS = [("engagement", _l("伴走支援を開始する")),
                     ("accompaniment", _l("伴走支援の依頼を起票する")),
                     ("consultation", _l("相談の依頼を起票する"))]


class FollowUpForm(FlaskForm):
    target = RadioField(_l("フォローアップの方法"), choices=choices(FOLLOW_UP_TARGETS), default="engagement",
                        validators=[InputRequired(_l("方法を選んでください。"))])
    title = StringField(_l("件名"), validators=[DataRequired(_l("件名を入力してください。")),
                                              Length(max=200)])
    body = TextAreaField(_l("内容・目標"), validators=[Optional()])
    cadence_days = IntegerField(_l("確認の間隔(日)"), default=30, validators=[
        Optional(), NumberRange(min=1, max=365, message=_l("1〜365日で入力してください。"))])
    ends_on = DateField(_l("終了予定日"), validators=[Optional()])


class SatisfactionForm(FlaskForm):
    rating = RadioField(_l("満足度"), coerce=int,
                        choices=choices([(5, _l("5 とても満足")), (4, _l("4 満足")),
                                         (3, _l("3 ふつう")), (2, _l("2 やや不満")),
                                         (1, _l("1 不満"))]),
                        validators=[InputRequired(_l("満足度を選んでください。"))])
    comment = TextAreaField(_l("ご意見・ご感想"), validators=[Optional(), Length(max=4000)])


class ContactForm(FlaskForm):
    at = DateTimeLocalField(_l("日時(日本時間)"), format=DT_FORMAT,
                            validators=[DataRequired(_when_required)])
    summary = TextAreaField(_l("内容"), validators=[DataRequired(_l("内容を入力してください。"))])


class CloseEngagementForm(FlaskForm):
    achievement = RadioField(_l("目標の達成度"),
                             choices=choices((k.value, _l(v)) for k, v in ACHIEVEMENTS.items()),
                             validators=[InputRequired(_l("目標の達成度を選んでください。"))])
    put_in_place = TextAreaField(_l("導入したもの"), validators=[Optional(), Length(max=4000)])
    next_steps = TextAreaField(_l("今後の予定"), validators=[Optional(), Length(max=4000)])
    outcome = TextAreaField(_l("所感・補足"), validators=[Optional(), Length(max=4000)])


class EngagementForm(FlaskForm):
    title = StringField(_l("件名"), validators=[DataRequired(_l("件名を入力してください。")),
                                              Length(max=200)])
    goal = TextAreaField(_l("目標"), validators=[Optional()])
    cadence_days = IntegerField(_l("確認の間隔(日)"), default=30, validators=[
        InputRequired(_l("確認の間隔を入力してください。")),
        NumberRange(min=1, max=365, message=_l("1〜365日で入力してください。"))])
    ends_on = DateField(_l("終了予定日"), validators=[Optional()])
    expert_ids = MultiCheckboxField(_l("参加する専門人材"), coerce=int, validators=[Optional()])
