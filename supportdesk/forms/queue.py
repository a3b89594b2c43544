"""Queue forms: bulk assignment and saving a view (the filters themselves are a plain GET form)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length


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
