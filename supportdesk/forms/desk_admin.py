"""Admin forms for what a prefecture pack set up: the desk's profile, a region, a move."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from . import choices
from ..services.desk import ADDRESS_RE, COLOUR_RE
from ..services.regions import ROUND_CYCLES


def _required(label):
    return DataRequired(_l("%(label)sを入力してください。", label=label))


class DeskProfileForm(FlaskForm):
    desk_name = StringField(_l("デスクの名称"), validators=[
        _required(_l("デスクの名称")), Length(max=80, message=_l("80文字以内で入力してください。"))])
    prefecture_name = StringField(_l("都道府県名"), validators=[
        _required(_l("都道府県名")), Length(max=20, message=_l("20文字以内で入力してください。"))])
    municipalities_word = StringField(_l("市町村の呼び方(日本語)"), validators=[
        _required(_l("市町村の呼び方")), Length(max=20, message=_l("20文字以内で入力してください。"))])
    municipalities_word_en = StringField(_l("市町村の呼び方(英語)"), validators=[
        _required(_l("英語の呼び方")), Length(max=40, message=_l("40文字以内で入力してください。"))])
    footer = StringField(_l("フッター"), validators=[
        _required(_l("フッター")), Length(max=200, message=_l("200文字以内で入力してください。"))])
    central_team = StringField(_l("本庁チームの名称"), validators=[
        _required(_l("本庁チームの名称")), Length(max=40, message=_l("40文字以内で入力してください。"))])
    mail_sender = StringField(_l("送信元メールアドレス"), validators=[
        Optional(), Length(max=200, message=_l("200文字以内で入力してください。")),
        Regexp(ADDRESS_RE, message=_l("メールアドレスの形式が正しくありません。"))])
    colour = StringField(_l("テーマ色"), validators=[
        Optional(), Regexp(COLOUR_RE, message=_l(
            "色は #0b5cab のように # と6桁の16進数で入力してください。"))])


class RegionForm(FlaskForm):
    name = StringField(_l("圏域名"), validators=[
        _required(_l("圏域名")), Length(max=40, message=_l("40文字以内で入力してください。"))])
    has_liaison = BooleanField(_l("地域のリエゾンが担当する(外すと本庁チームが担当)"), default=True)
    sort_order = IntegerField(_l("表示順"), default=0, validators=[
        Optional(), NumberRange(min=0, max=9999, message=_l("0〜9999の数値を入力してください。"))])
    round_cycle_months = SelectField(_l("巡回の周期"), coerce=int, default=3, choices=choices(
        (n, _l("%(n)sか月ごと", n=n)) for n in ROUND_CYCLES))


class MoveMunicipalityForm(FlaskForm):
    # Checked by services/regions.move_municipality (a message beside the field, not WTForms').
    region_id = SelectField(_l("移動先の圏域"), coerce=int, validate_choice=False,
                            validators=[Optional()])
