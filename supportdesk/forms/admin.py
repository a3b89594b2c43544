"""Admin forms: users, municipality profiles, themes, expert profiles, departments."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, IntegerField, PasswordField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from . import choices
from ..models.org import DX_STAFF_BANDS, DX_STEPS, POPULATION_BANDS
from ..models.user import ROLES
from ..roles import Role

ROLE_LABELS = {
    Role.STAFF: _l("市町職員"),
    Role.LIAISON: _l("DX推進リエゾン"),
    Role.EXPERT: _l("専門人材"),
    Role.MANAGER: _l("管理者(マネージャー)"),
    Role.ADMIN: _l("システム管理者"),
}


class UserForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[
        DataRequired(_l("メールアドレスを入力してください。")),
        Email(_l("メールアドレスの形式が正しくありません。"), check_deliverability=False),
        Length(max=254)])
    display_name = StringField(_l("氏名"), validators=[
        DataRequired(_l("氏名を入力してください。")), Length(max=100)])
    role = SelectField(_l("役割"), choices=choices((r, ROLE_LABELS[r]) for r in ROLES))
    municipality_id = SelectField(_l("所属市町"), coerce=int, validators=[Optional()])
    department = StringField(_l("所属部署"), validators=[Optional(), Length(max=100)])
    is_information_dept = BooleanField(_l("情報部門に所属"))
    region_ids = SelectMultipleField(_l("担当圏域"), coerce=int, validators=[Optional()])
    is_central_team = BooleanField(_l("本庁チーム(リエゾンのいない圏域を担当)"))
    is_team_lead = BooleanField(_l("チームリーダー"))
    locale = SelectField(_l("表示言語"), choices=choices([("ja", "日本語"), ("en", "English")]))
    # Choices from the NETWORKS setting (views/admin.py); "" = the role's network.
    network = SelectField(_l("リンクのネットワーク"), validators=[Optional()])
    active = BooleanField(_l("有効"), default=True)
    password = PasswordField(_l("初期パスワード"), validators=[
        Optional(), Length(min=12, max=128, message=_l("パスワードは12文字以上128文字以内にしてください。"))])


class MunicipalityProfileForm(FlaskForm):
    population_band = SelectField(_l("人口規模"),
                                  choices=choices([("", "—")] + [(b, _l(b)) for b in POPULATION_BANDS]),
                                  validators=[Optional()])
    dx_staff_band = SelectField(_l("DX・情報担当職員数"),
                                choices=choices([("", "—")]
                                                + [(b, _l("%(n)s人", n=b)) for b in DX_STAFF_BANDS]),
                                validators=[Optional()])
    cio_appointed = BooleanField(_l("CIO任命済み"))
    dx_plan_in_place = BooleanField(_l("DX推進計画策定済み"))
    dx_step = SelectField(_l("DXの取組ステップ(0〜3)"),
                          choices=choices([("", "—")] + [(str(n), str(n)) for n in DX_STEPS]),
                          validators=[Optional()])
    profile_note = TextAreaField(_l("メモ"), validators=[Optional(), Length(max=4000)])


class ThemeForm(FlaskForm):
    code = StringField(_l("コード"), validators=[
        DataRequired(_l("コードを入力してください。")), Length(max=40)])
    name_ja = StringField(_l("名称(日本語)"), validators=[
        DataRequired(_l("名称を入力してください。")), Length(max=100)])
    name_en = StringField(_l("名称(英語)"), validators=[
        DataRequired(_l("英語名を入力してください。")), Length(max=100)])
    sort_order = IntegerField(_l("表示順"), default=0, validators=[
        Optional(), NumberRange(min=0, max=9999, message=_l("0〜9999の数値を入力してください。"))])
    active = BooleanField(_l("有効"), default=True)


class ExpertProfileForm(FlaskForm):
    kind = SelectField(_l("人材の種別"), choices=[])  # the catalogue's expert kinds (the view)
    home_region_id = SelectField(_l("拠点圏域"), coerce=int, validators=[Optional()])
    organisation = StringField(_l("所属"), validators=[Optional(), Length(max=100)])
    theme_ids = SelectMultipleField(_l("対応できる分野"), coerce=int, validators=[Optional()])
    bio = TextAreaField(_l("紹介"), validators=[Optional(), Length(max=4000)])
    available = BooleanField(_l("派遣可能"), default=True)


class DepartmentForm(FlaskForm):
    name = StringField(_l("部署名"), validators=[
        DataRequired(_l("部署名を入力してください。")),
        Length(max=100, message=_l("部署名は100文字以内で入力してください。"))])
    contact_email = EmailField(_l("連絡先メールアドレス"), validators=[
        Optional(), Email(_l("メールアドレスの形式が正しくありません。"), check_deliverability=False),
        Length(max=254)])
    active = BooleanField(_l("有効"), default=True)
