"""Forms for expert assignment, request links, case introductions and the case library."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


def choices(pairs):
    """(value, label) pairs as the SelectChoice objects WTForms 3.3 expects."""
    return [SelectChoice(value, label) for value, label in pairs]


class AssignExpertsForm(FlaskForm):
    expert_ids = SelectMultipleField(_l("派遣する人材"), coerce=int, validate_choice=False,
                                     validators=[DataRequired(_l("派遣する人材を選んでください。"))])
    note = TextAreaField(_l("メモ"), validators=[Optional(), Length(max=2000)])


class RespondAssignmentForm(FlaskForm):
    decision = SelectField(_l("回答"), choices=choices([("accept", _l("引き受ける")),
                                                       ("decline", _l("辞退する"))]))
    reason = TextAreaField(_l("辞退の理由"), validators=[Optional(), Length(max=2000)])


class LinkForm(FlaskForm):
    kind = SelectField(_l("リンクの種類"), choices=choices([
        ("related", _l("関連(同じテーマ・他市町の類似依頼)")),
        ("follow_up", _l("この依頼は次の依頼のフォローアップ")),
        ("duplicate", _l("この依頼は次の依頼の重複(この依頼を閉じる)"))]))
    target = StringField(_l("依頼番号"), validators=[
        DataRequired(_l("リンク先の依頼番号を入力してください。")), Length(max=20)])


class IntroduceCaseForm(FlaskForm):
    case_id = SelectField(_l("紹介する事例"), coerce=int, validate_choice=False,
                          validators=[DataRequired(_l("紹介する事例を選んでください。"))])
    note = TextAreaField(_l("メモ"), validators=[Optional(), Length(max=2000)])


class CaseForm(FlaskForm):
    title = StringField(_l("タイトル"), validators=[
        DataRequired(_l("タイトルを入力してください。")), Length(max=200)])
    organisation = StringField(_l("団体名(市町・都道府県)"), validators=[
        DataRequired(_l("団体名を入力してください。")), Length(max=100)])
    theme_id = SelectField(_l("分野"), coerce=int, validators=[Optional()])
    summary = TextAreaField(_l("概要"), validators=[
        DataRequired(_l("概要を入力してください。")), Length(max=4000)])
    source = StringField(_l("出典"), validators=[Optional(), Length(max=200)])
    url = StringField(_l("URL"), validators=[Optional(), Length(max=500)])
    from_request_id = HiddenField()
