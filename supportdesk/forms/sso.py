"""Single sign-on forms: an identity provider's settings, and the roles that must use SSO."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, URLField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from . import MultiCheckboxField, choices
from ..services.accounts.sso_policy import SSO_ROLES
from .admin import ROLE_LABELS

CLAIM_NAME = Regexp(r"^[A-Za-z0-9_.:/-]+$", message=_l("英数字と _ . : / - で入力してください。"))


class IdentityProviderForm(FlaskForm):
    name = StringField(_l("表示名(ログインボタン)"), validators=[
        DataRequired(_l("表示名を入力してください。")), Length(max=100)])
    issuer = URLField(_l("issuer(発行者URL)"), validators=[
        DataRequired(_l("issuerを入力してください。")), Length(max=255)])
    client_id = StringField(_l("クライアントID"), validators=[
        DataRequired(_l("クライアントIDを入力してください。")), Length(max=255)])
    client_secret = PasswordField(_l("クライアントシークレット"), validators=[
        Optional(), Length(max=255)])
    scopes = StringField(_l("スコープ(空白区切り)"), default="openid email profile",
                         validators=[DataRequired(_l("スコープを入力してください。")),
                                     Length(max=255)])
    email_claim = StringField(_l("メールアドレスのクレーム名"), default="email", validators=[
        DataRequired(_l("クレーム名を入力してください。")), Length(max=64), CLAIM_NAME])
    name_claim = StringField(_l("氏名のクレーム名"), default="name", validators=[
        DataRequired(_l("クレーム名を入力してください。")), Length(max=64), CLAIM_NAME])
    municipality_id = SelectField(_l("対象"), coerce=int, validators=[Optional()])
    enabled = BooleanField(_l("有効"), default=True)
    create_users = BooleanField(_l("未登録の利用者を作成する(確認済みメールアドレスのみ)"))
    role_claim = StringField(_l("役割のクレーム名(県のIDプロバイダーで利用者を作成する場合)"),
                             validators=[Optional(), Length(max=64), CLAIM_NAME])


class SsoRolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("シングルサインオンを必須にする役割"),
                               choices=choices((str(r), ROLE_LABELS[r]) for r in SSO_ROLES))
