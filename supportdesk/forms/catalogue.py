"""Admin form for an entry of the programme catalogue (講座メニュー, 支援の種類, 専門人材の種別)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from . import choices
from ..models.catalogue import CATALOGUE_LISTS, LIST_LABELS


class CatalogueEntryForm(FlaskForm):
    # The list and the key are chosen once, when the entry is added: rows store the key.
    list_name = SelectField(_l("一覧"), choices=choices((k, _l(LIST_LABELS[k])) for k in CATALOGUE_LISTS),
                            validators=[DataRequired(_l("一覧を選んでください。"))])
    key = StringField(_l("キー"), validators=[
        DataRequired(_l("キーを入力してください。")), Length(max=30, message=_l("30文字以内で入力してください。"))])
    name_ja = StringField(_l("名称(日本語)"), validators=[
        DataRequired(_l("名称を入力してください。")), Length(max=100, message=_l("100文字以内で入力してください。"))])
    name_en = StringField(_l("名称(英語)"), validators=[
        Optional(), Length(max=200, message=_l("200文字以内で入力してください。"))])
    guidance_ja = TextAreaField(_l("案内(日本語)"), validators=[
        Optional(), Length(max=4000, message=_l("4000文字以内で入力してください。"))])
    guidance_en = TextAreaField(_l("案内(英語)"), validators=[
        Optional(), Length(max=4000, message=_l("4000文字以内で入力してください。"))])
    sort_order = IntegerField(_l("表示順"), default=0, validators=[
        Optional(), NumberRange(min=0, max=9999, message=_l("0〜9999の数値を入力してください。"))])
    active = BooleanField(_l("有効(フォームで選べる)"), default=True)
