"""Forms of retention (公文書管理): a kind's policy, and the decisions on the spring list."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..models.retention import CLASS_LABELS, DISPOSITION_LABELS

REASON_REQUIRED = _l("理由を入力してください。")


def _class_choices():
    return [(c.value, _l(label)) for c, label in CLASS_LABELS.items()]


def _disposition_choices():
    return [(d.value, _l(label)) for d, label in DISPOSITION_LABELS.items()]


class PolicyForm(FlaskForm):
    retention_class = SelectField(_l("保存期間"), choices=_class_choices,
                                  validators=[DataRequired(_l("保存期間を選んでください。"))])
    disposition = SelectField(_l("満了時の措置"), choices=_disposition_choices,
                              validators=[DataRequired(_l("措置を選んでください。"))])


class ConfirmForm(FlaskForm):
    disposition = SelectField(_l("満了時の措置"), choices=_disposition_choices,
                              validators=[DataRequired(_l("措置を選んでください。"))])


class ExtendForm(FlaskForm):
    years = IntegerField(_l("延長する年数"), default=1, validators=[
        InputRequired(_l("年数を入力してください。")),
        NumberRange(1, 30, _l("1から30までの年数を入力してください。"))])
    reason = TextAreaField(_l("延長の理由"), validators=[DataRequired(REASON_REQUIRED),
                                                   Length(max=1000)])


class HoldForm(FlaskForm):
    reason = TextAreaField(_l("法的保存の理由"), validators=[DataRequired(REASON_REQUIRED),
                                                     Length(max=1000)])


class ReleaseForm(FlaskForm):
    reason = TextAreaField(_l("解除の理由"), validators=[Optional(), Length(max=1000)])


class ListActionForm(FlaskForm):
    """The list's own buttons (prepare the list, carry out what has ended): CSRF only."""
