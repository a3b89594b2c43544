"""Japanese full-text search over title, body, pre-work and replies (substring, AND, literal %/_)."""
from datetime import datetime

import pytest
from werkzeug.datastructures import MultiDict

from supportdesk.extensions import db
from supportdesk.models import RequestComment
from supportdesk.services.requests.queue import QueueFilter, load_queue_page
from supportdesk.services.requests.search import build_search_text, refresh_search_text
from supportdesk.timeutil import UTC
from tests.factories import make_liaison, make_request, make_user

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def search(app):
    liaison = make_liaison("西播磨")

    def _search(q, user=liaison):
        flt = QueueFilter.from_args(MultiDict({"q": q, "state": "all", "region": "all"}))
        return {s.title for s in load_queue_page(user, flt, NOW).rows}

    return _search


@pytest.fixture
def corpus(app):
    make_request(title="窓口のDXについて相談したい", body="来庁者の待ち時間を短くしたい。")
    make_request(title="会議資料の電子化", body="庁内会議をペーパーレスにしたいが進め方がわからない。", municipality_name="姫路市",
                 state="closed")
    make_request(title="標準化の進め方", body="移行計画について。", comments=[("ガバメントクラウドへの移行時期を教えてください。", False)])
    make_request(title="ＡＩ議事録の導入", body="ｶﾞﾊﾞﾒﾝﾄ対応とは別の話です。", prework="職員アンケートを実施済み(回答率80%)")
    make_request(title="窓口とペーパーレスの両方", body="窓口でのペーパーレス化", municipality_name="豊岡市")
    make_request(title="達成率100%の事例", body="成功事例を知りたい")
    make_request(title="達成率1000件", body="件数の話")
    make_request(title="file_name の扱い", body="ファイル名")
    make_request(title="filexname の扱い", body="別件")


def test_finds_japanese_words_in_title_body_and_replies(corpus, search):
    assert search("窓口") == {"窓口のDXについて相談したい", "窓口とペーパーレスの両方"}
    assert search("ペーパーレス") == {"会議資料の電子化", "窓口とペーパーレスの両方"}
    assert search("ガバメントクラウド") == {"標準化の進め方"}  # only in a reply
    assert search("アンケート") == {"ＡＩ議事録の導入"}  # pre-work
    assert search("待ち時間") == {"窓口のDXについて相談したい"}


def test_width_and_case_variants_match(corpus, search):
    assert search("ai議事録") == {"ＡＩ議事録の導入"}
    assert search("ガバメント") == {"標準化の進め方", "ＡＩ議事録の導入"}
    assert search("ｶﾞﾊﾞﾒﾝﾄｸﾗｳﾄﾞ") == {"標準化の進め方"}
    assert search("dx") == {"窓口のDXについて相談したい"}


def test_every_term_must_occur(corpus, search):
    assert search("窓口 ペーパーレス") == {"窓口とペーパーレスの両方"}
    assert search("窓口　ペーパーレス") == {"窓口とペーパーレスの両方"}  # full-width space
    assert search("窓口 存在しない語") == set()


def test_like_wildcards_in_the_query_are_literal(corpus, search):
    assert search("100%") == {"達成率100%の事例"}
    assert search("file_name") == {"file_name の扱い"}
    assert search("%") == {"達成率100%の事例", "ＡＩ議事録の導入"}
    assert search("_") == {"file_name の扱い"}
    assert search("\\") == set()


def test_internal_notes_never_make_a_request_findable(app, search):
    sreq = make_request(title="内部メモのある依頼", body="通常の本文",
                        comments=[("秘匿キーワード 人事異動の予定", True), ("返信です", False)])
    assert "秘匿キーワード" not in sreq.search_text
    assert search("秘匿キーワード") == set()
    assert search("返信です") == {"内部メモのある依頼"}
    manager = make_user("manager")
    assert search("人事異動", user=manager) == set()


def test_refresh_search_text_follows_new_replies(app, search):
    liaison = make_liaison("西播磨")
    sreq = make_request(title="返信で増える語")
    assert search("オープンデータ") == set()
    db.session.add(RequestComment(request_id=sreq.id, author_id=liaison.id,
                                  body="オープンデータの事例をお送りします。"))
    db.session.flush()
    version = sreq.version
    refresh_search_text(sreq)
    db.session.commit()
    assert search("オープンデータ") == {"返信で増える語"}
    assert sreq.version == version + 1
    # Unchanged text is not rewritten (no spurious optimistic-locking conflicts).
    refresh_search_text(sreq)
    db.session.commit()
    assert sreq.version == version + 1
    assert build_search_text(sreq).startswith(sreq.number.lower())


def test_staff_search_never_returns_another_municipality(corpus, search):
    from tests.factories import make_staff

    staff = make_staff("姫路市")
    assert search("ペーパーレス", user=staff) == {"会議資料の電子化"}
    assert search("窓口", user=staff) == set()


def test_search_reads_the_bigram_index_of_its_database(app):
    """The trigram index is gone (two-character words have no trigram); the bigram index is
    the FTS5 table on SQLite and an expression GIN index on PostgreSQL (test_search_index.py)."""
    import sqlalchemy as sa

    names = {ix["name"] for ix in sa.inspect(db.engine).get_indexes("support_requests")}
    assert "ix_support_requests_search_trgm" not in names
    if db.engine.dialect.name == "postgresql":
        indexdef = db.session.scalar(sa.text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_support_requests_search_bigrams'"
            " AND schemaname = current_schema()"))
        assert "gin" in indexdef and "sd_search_bigrams(search_text)" in indexdef
    else:
        assert db.session.scalar(sa.text(
            "SELECT sql FROM sqlite_master WHERE name = 'support_requests_fts'")).startswith(
            "CREATE VIRTUAL TABLE support_requests_fts USING fts5")
