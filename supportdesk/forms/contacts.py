"""Forms of the contact directory and the April handover."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..workflows.contacts import ROLE_LABELS
from . import choices

_date_msg = _l("日付は YYYY-MM-DD の形で入力してください。")


class ContactForm(FlaskForm):
    role = SelectField(_l("役割"), choices=[])
    name = StringField(_l("氏名"), validators=[DataRequired(_l("氏名を入力してください。")),
                                             Length(max=100)])
    kana = StringField(_l("ふりがな"), validators=[Optional(), Length(max=100)])
    title = StringField(_l("職名(副市長、企画部長など)"), validators=[Optional(), Length(max=100)])
    department = StringField(_l("所属"), validators=[Optional(), Length(max=100)])
    email = StringField(_l("メールアドレス"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("電話番号"), validators=[Optional(), Length(max=40)])
    valid_from = DateField(_l("就任日(開始日)"), validators=[
        DataRequired(_l("就任日(開始日)を入力してください。"))])
    valid_to = DateField(_l("終了日(最終日、任期中は空欄)"), validators=[Optional()])
    user_id = SelectField(_l("デスクのアカウント(ある場合)"), choices=[], validators=[Optional()])
    note = TextAreaField(_l("提案の理由・補足(情報部門からの提案のとき)"),
                         validators=[Optional(), Length(max=2000)])

    def offer(self, users):
        self.role.choices = choices([(r.value, str(label)) for r, label in ROLE_LABELS.items()])
        self.user_id.choices = choices([("", str(_l("なし")))] + [
            (str(u.id), f"{u.display_name}({u.department or '—'})") for u in users])
        return self

    def values(self):
        return dict(role=self.role.data, name=self.name.data, kana=self.kana.data,
                    title=self.title.data, department=self.department.data,
                    email=self.email.data, phone=self.phone.data,
                    valid_from=self.valid_from.data, valid_to=self.valid_to.data,
                    user_id=self.user_id.data or None)


class EndContactForm(FlaskForm):
    valid_to = DateField(_l("最終日"), validators=[DataRequired(_l("終了日を入力してください。"))])
    note = TextAreaField(_l("補足"), validators=[Optional(), Length(max=2000)])


class DecideProposalForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    note = StringField(_l("コメント"), validators=[Optional(), Length(max=2000)])


class LeavingForm(FlaskForm):
    user_id = SelectField(_l("異動・退職する人"), choices=[],
                          validators=[DataRequired(_l("この市町の職員を選んでください。"))])
    leaves_on = DateField(_l("異動・退職の日(この日にアカウントが無効になります)"),
                          validators=[DataRequired(_l("異動・退職の日を入力してください。"))])


class MoveForm(FlaskForm):
    user_id = SelectField(_l("部署を移る人"), choices=[],
                          validators=[DataRequired(_l("この市町の職員を選んでください。"))])
    department = StringField(_l("異動先の部署"), validators=[
        DataRequired(_l("異動先の部署を入力してください。")), Length(max=100)])
    is_information_dept = BooleanField(_l("異動先は情報部門"))


class SuccessorForm(FlaskForm):
    display_name = StringField(_l("後任の氏名"), validators=[
        DataRequired(_l("氏名を入力してください。")), Length(max=100)])
    email = StringField(_l("後任のメールアドレス"), validators=[
        DataRequired(_l("メールアドレスを入力してください。")), Length(max=254)])
    department = StringField(_l("部署"), validators=[Optional(), Length(max=100)])
    is_information_dept = BooleanField(_l("情報部門の職員"))


class PassWorkForm(FlaskForm):
    leaver_id = SelectField(_l("引き継ぐ人(異動・退職する人)"), choices=[],
                            validators=[DataRequired(_l("この市町の職員を選んでください。"))])
    successor_id = SelectField(_l("後任"), choices=[],
                               validators=[DataRequired(_l("後任には在籍中の別の職員を選んでください。"))])


class ConfirmHandoverForm(FlaskForm):
    note = TextAreaField(_l("補足(任意)"), validators=[Optional(), Length(max=2000)])
