"""The prefecture's own word for its municipalities in every translated message.

Messages are written with the word 市町, as the first prefecture says it. A prefecture with
villages says 市町村 (its pack's `municipalities_word`): every message, in Python and in
templates, comes out with that word, so no screen, mail or export has to restate it. English
messages say "municipalities" everywhere and keep it unless the pack names another word.
"""
import re
import time

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from flask.globals import _cv_app, _cv_request
from flask_babel import Babel, Domain, get_locale, get_translations
from werkzeug.utils import cached_property

SOURCE_WORD = "市町"
SOURCE_WORD_EN = "municipalities"
_WORD = re.compile(SOURCE_WORD + "(?!村)")


def _words():
    """(ja word, en word) of this desk; cached per app outside requests (jobs, CLI)."""
    from .services.desk import desk

    if has_request_context():
        # Once per request: a page translates hundreds of messages (one per municipality in a
        # national-size report), and each lookup goes through the reference cache's lock.
        words = g.get("_pack_words")
        if words is None:
            identity = desk()
            words = g._pack_words = (identity.municipalities_word,
                                     identity.municipalities_word_en)
        return words
    cached = current_app.extensions.get("pack_words")
    if cached is None or time.monotonic() - cached[0] > 60:
        identity = desk()
        cached = current_app.extensions["pack_words"] = (
            time.monotonic(), identity.municipalities_word, identity.municipalities_word_en)
    return cached[1], cached[2]


def in_desk_words(text):
    """A Japanese text written in the code without the catalogue (an export's labels) in this
    desk's word: 市町 → 市町村 on a desk with villages."""
    word = _words()[0]
    return text if word == SOURCE_WORD or not text else _WORD.sub(word, text)


class _WordTranslations:
    """A translations object whose every message says the desk's word."""

    def __init__(self, translations, word, word_en):
        self._t, self._word, self._word_en = translations, word, word_en

    def _fix(self, text):
        if self._word != SOURCE_WORD:
            text = _WORD.sub(self._word, text)
        if self._word_en != SOURCE_WORD_EN:
            text = text.replace(SOURCE_WORD_EN, self._word_en)
        return text

    def ugettext(self, message):
        return self._fix(self._t.ugettext(message))

    gettext = ugettext

    def ungettext(self, singular, plural, num):
        return self._fix(self._t.ungettext(singular, plural, num))

    ngettext = ungettext

    def upgettext(self, context, message):
        return self._fix(self._t.upgettext(context, message))

    pgettext = upgettext

    def unpgettext(self, context, singular, plural, num):
        return self._fix(self._t.unpgettext(context, singular, plural, num))

    npgettext = unpgettext

    def __getattr__(self, name):
        return getattr(self._t, name)


class PackWordDomain(Domain):
    def get_translations(self):
        # Every _() asks for the translations: a page calls it hundreds of times, so they are
        # kept for the request, per locale (force_locale renders a mail in its reader's). A
        # request that changed the desk's identity asks again each time.
        if not has_request_context() or g.get("_reference_bumped"):
            return self._translations()
        locale = get_locale()
        memo = g.get("_pack_translations")
        if memo is None or memo[0] is not locale:  # force_locale swaps the Locale object
            memo = g._pack_translations = (locale, self._translations())
        return memo[1]

    def _translations(self):
        translations = super().get_translations()
        try:
            word, word_en = _words()
        except (sa.exc.SQLAlchemyError, RuntimeError):
            return translations  # no database at hand (an error page, a broken session)
        if word == SOURCE_WORD and word_en == SOURCE_WORD_EN:
            return translations
        return _WordTranslations(translations, word, word_en)


def request_translations():
    """This request's translations in a few lookups (templates call `_()` 100-500 times a page;
    through Flask-Babel each call reads `g` about ten times): the memo PackWordDomain keeps,
    while the request's locale is still the one it was made for, else the full lookup."""
    if _cv_request.get(None) is not None:
        ns = _cv_app.get().g.__dict__
        memo = ns.get("_pack_translations")
        if memo is not None and not ns.get("_reference_bumped"):
            babel_ns = ns.get("_flask_babel")
            if getattr(babel_ns, "babel_locale", None) is memo[0]:
                return memo[1]
    return get_translations()


class PackBabel(Babel):
    @cached_property
    def domain_instance(self):
        return PackWordDomain(domain=self.domain)

    def init_app(self, app, *args, **kwargs):
        super().init_app(app, *args, **kwargs)
        # The templates' _() and friends, as Flask-Babel installs them, through the quick path.
        app.jinja_env.install_gettext_callables(
            gettext=lambda s: request_translations().ugettext(s),
            ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
            newstyle=True,
            pgettext=lambda c, s: request_translations().upgettext(c, s),
            npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n))
