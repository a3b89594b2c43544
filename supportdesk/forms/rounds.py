"""Forms for periodic rounds: record a round, propose a push lecture, edit a region's cycle,
plan a municipality's round."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from . import MultiCheckboxField

CYCLE_CHOICES = [SelectChoice(n, label) for n, label in (
    (1, _l("毎月")), (2, _l("2か月ごと")), (3, _l("四半期ごと(3か月)")), (4, _l("4か月ごと")),
    (6, _l("半期ごと(6か月)")), (12, _l("年1回")))]


class DepartmentsField(MultiCheckboxField):
    """The departments to share with: only those offered (the active ones), in Japanese."""

    def pre_validate(self, form):
        offered = {choice[0] for choice in self.iter_choices()}
        if any(value not in offered for value in self.data or ()):
            raise ValidationError(_l("選べない部署(使われていない部署など)が含まれています。選び直してください。"))


class RoundRecordForm(FlaskForm):
    held_on = DateField(_l("実施日"), validators=[DataRequired(_l("実施日を入力してください。"))])
    start_time = TimeField(_l("開始時刻"), validators=[DataRequired(_l("開始時刻を入力してください。"))])
    end_time = TimeField(_l("終了時刻"), validators=[DataRequired(_l("終了時刻を入力してください。"))])
    progress = TextAreaField(_l("取組状況"), validators=[Optional(), Length(max=10000)])
    issues = TextAreaField(_l("課題"), validators=[Optional(), Length(max=10000)])
    departments = DepartmentsField(_l("共有する県の関係部署(部署ごとに通知が届きます)"),
                                     coerce=int, validators=[Optional()])


class PushLectureForm(FlaskForm):
    title = StringField(_l("件名"), validators=[DataRequired(_l("件名を入力してください。")),
                                              Length(max=200, message=_l("件名は200文字以内で入力してください。"))])
    submit_now = BooleanField(_l("下書きにせず、すぐに提出する"))


class RoundPlanForm(FlaskForm):
    months = SelectField(_l("巡回の周期"), coerce=int, choices=CYCLE_CHOICES)


class PlannedRoundForm(FlaskForm):
    cycle = SelectField(_l("周期"), validators=[DataRequired(_l("周期を選んでください。"))])
    planned_on = DateField(_l("巡回予定日"),
                           validators=[DataRequired(_l("巡回予定日を入力してください。"))])
