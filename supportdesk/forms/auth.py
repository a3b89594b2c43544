"""Login, password and two-factor forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length


def email_field():
    return EmailField(_l("メールアドレス"), validators=[
        DataRequired(_l("メールアドレスを入力してください。")),
        Email(_l("メールアドレスの形式が正しくありません。"), check_deliverability=False),
        Length(max=254)])


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(_l("パスワード"), validators=[
        DataRequired(_l("パスワードを入力してください。")), Length(max=128)])


class ForgotPasswordForm(FlaskForm):
    email = email_field()


class NewPasswordForm(FlaskForm):
    """The new password twice: the reset form, and the base of the change-password form."""

    new_password = PasswordField(_l("新しいパスワード"), validators=[
        DataRequired(_l("新しいパスワードを入力してください。")),
        Length(min=12, max=128, message=_l("パスワードは12文字以上128文字以内にしてください。"))])
    confirm = PasswordField(_l("新しいパスワード(確認)"), validators=[
        EqualTo("new_password", _l("確認用のパスワードが一致しません。"))])


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("現在のパスワード"), validators=[
        DataRequired(_l("現在のパスワードを入力してください。"))])


def code_field():
    return StringField(_l("確認コード"), validators=[
        DataRequired(_l("確認コードを入力してください。")), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                   "autocapitalize": "off", "spellcheck": "false"})


class TotpCodeForm(FlaskForm):
    """A code from the authenticator app: enrolment, and the login's second step (which also
    takes a recovery code)."""

    code = code_field()


class TotpManageForm(FlaskForm):
    """Password and a current code: turning two-factor login off, new recovery codes."""

    password = PasswordField(_l("現在のパスワード"), validators=[
        DataRequired(_l("現在のパスワードを入力してください。")), Length(max=128)])
    code = code_field()
