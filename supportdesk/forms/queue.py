"""Queue forms: bulk assignment, the other bulk actions and saving a view (the filters themselves are a plain GET form)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional


class BulkAssignForm(FlaskForm):
    assignee = SelectField(_l("担当者"), coerce=int,
                           validators=[DataRequired(_l("担当者を選んでください。"))])
    # Choices are not listed up front: the service checks each id against the user's scope.
    ids = SelectMultipleField(_l("依頼"), coerce=int, validate_choice=False,
                              validators=[DataRequired(_l("割り当てる依頼を選んでください。"))])
    back = HiddenField()


class SavedViewForm(FlaskForm):
    name = StringField(_l("ビューの名前"), validators=[
        DataRequired(_l("ビューの名前を入力してください。")), Length(max=60)])
    query = HiddenField()


class BulkActionForm(FlaskForm):
    """Hold, resume, close, reply, follow or export the selected rows (the button names `op`)."""
    # Checked row by row by the service, against the user's scope and the single action's rule.
    ids = SelectMultipleField(_l("依頼"), coerce=int, validate_choice=False,
                              validators=[DataRequired(_l("依頼を選んでください。"))])
    op = HiddenField()
    reason = StringField(_l("理由"), validators=[Length(max=500)])
    hold_until = DateField(_l("再開予定日"), validators=[Optional()])
    template_id = SelectField(_l("定型文"), coerce=int, validate_choice=False, default=0)
