"""Replies by e-mail: the reply address of real outgoing mail, Japanese charsets, quotes and
signatures, auto-replies, refusals with one bounce, drafts from new mail, held mail, and the
real IMAP server (dovecot) read exactly once."""
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import InboundMail, OutboxMessage, RequestComment, SupportRequest
from supportdesk.notifications.outbox import drain
from supportdesk.notifications.reply_address import reply_address
from supportdesk.services.mail_in import receive_mail
from supportdesk.services.mail_in.imap import poll_mailbox, receive_and_commit
from supportdesk.services.requests.conversation import add_comment
from supportdesk.timeutil import utcnow
from tests.factories import make_liaison, make_request, make_staff, make_user
from tests.mail_helpers import Dovecot, build_mail
from tests.notify_helpers import notify_config

REPLY_DOMAIN = "reply.desk.example.lg.jp"
QUOTED = ("\n\n-- \n佐用町 企画防災課 情報係\n電話 0790-00-0000\n\n"
          "2026年12月3日(木) 10:15 市町DX支援デスク <reply+1.2.p.3.abc@reply.desk.example.lg.jp>:\n"
          "> 市町DX支援デスクからのお知らせです。\n> 返信がありました。\n")


@pytest.fixture
def mapp(make_app, smtp):
    app = make_app(**notify_config(smtp.port, MAIL_REPLY_DOMAIN=REPLY_DOMAIN,
                                   MAIL_IN_ADDRESS="desk@pref.example.jp"))
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def mclient(mapp):
    return mapp.test_client()


def login(client, user):
    from tests.factories import PASSWORD

    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def _reply_to_of_liaison_reply(smtp, sreq, liaison, filer):
    """The Reply-To of the mail the filer gets when the liaison answers (sent for real)."""
    add_comment(sreq, liaison, "ご相談の件、次回の巡回で伺います。")
    db.session.commit()
    drain(now=utcnow() + timedelta(days=5))  # past office hours and holidays
    mails = [m for rcpts, m in smtp.sink.messages if filer.email in rcpts]
    assert mails, "the filer got no mail"
    return mails[-1]


def _comments(sreq):
    return db.session.scalars(sa.select(RequestComment).where(
        RequestComment.request_id == sreq.id).order_by(RequestComment.id)).all()


def _bounces():
    return db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == "mail.refused")).all()


@pytest.mark.parametrize("charset", ["iso-2022-jp", "shift_jis", "utf-8"])
def test_a_reply_to_a_real_notification_mail_becomes_the_filers_comment(mapp, smtp, charset):
    filer = make_staff(email="fukushi@town.example.lg.jp")
    liaison = make_liaison()
    sreq = make_request(filer, liaison=liaison, state="triage", title="交付申請の電子化")
    mail = _reply_to_of_liaison_reply(smtp, sreq, liaison, filer)
    reply_to = mail["Reply-To"]
    assert reply_to.startswith("reply+") and reply_to.endswith("@" + REPLY_DOMAIN)
    assert mail["Auto-Submitted"] == "auto-generated"
    assert "このメールに返信すると" in mail.get_body(("plain",)).get_content()
    words = "①ありがとうございます。交付申請の様式を添付します。" if charset != "iso-2022-jp" \
        else "ありがとうございます。交付申請の様式を添付します。"
    raw = build_mail(frm=f"福祉 太郎 <{filer.email.upper()}>", to=reply_to,
                     subject="Re: 【市町DX支援デスク】返信", body=words + QUOTED, charset=charset)
    assert receive_and_commit(raw) == "comment"
    comment = _comments(sreq)[-1]
    assert comment.author_id == filer.id and not comment.internal
    assert comment.body == words  # quote and signature cut off, charset read right
    row = db.session.scalar(sa.select(InboundMail))
    assert row.comment_id == comment.id and row.stored_name
    with open(os.path.join(mapp.config["UPLOAD_FOLDER"], row.stored_name), "rb") as fh:
        assert fh.read() == raw  # the whole original is kept
    # The same message again (a resend, a second poller) changes nothing.
    assert receive_and_commit(raw) == "duplicate"
    assert len(_comments(sreq)) == 2


def test_the_liaison_sees_the_mail_reply_with_its_original_and_staff_do_not_get_the_eml(
        mapp, smtp, mclient):
    client = mclient
    filer = make_staff()
    liaison = make_liaison()
    sreq = make_request(filer, liaison=liaison, state="triage")
    reply_to = _reply_to_of_liaison_reply(smtp, sreq, liaison, filer)["Reply-To"]
    raw = build_mail(frm=filer.email, to=reply_to, subject="Re: 件", body="承知しました。")
    assert receive_and_commit(raw) == "comment"
    row = db.session.scalar(sa.select(InboundMail))
    login(client, liaison)
    page = client.get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert "承知しました。" in page and 'data-testid="by-mail"' in page
    eml = client.get(f"/mail/inbound/{row.id}/original.eml")
    assert eml.status_code == 200 and eml.data == raw
    eml.close()
    login(client, filer)
    assert "受信メールの原本" not in client.get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert client.get(f"/mail/inbound/{row.id}/original.eml").status_code == 404


def test_mime_encoded_and_raw_8bit_headers_and_html_only_mail_read_right(mapp):
    filer = make_staff()
    sreq = make_request(filer, state="triage")
    address = reply_address(mapp.config, user_id=filer.id, request_id=sreq.id, internal=False,
                            now=utcnow())
    raw = build_mail(frm=filer.email, to=address, subject="Re: ①予算の件", charset="shift_jis",
                     raw_headers=True, content_type="text/html",
                     body="<html><body><p>予算は<b>来年度</b>です。</p><style>p{}</style></body></html>")
    row = receive_mail(raw)
    db.session.commit()
    assert row.subject == "Re: ①予算の件"
    assert _comments(sreq)[-1].body == "予算は来年度です。"


AUTO_MAIL = [
    ({"Auto-Submitted": "auto-replied"}, "Re: 件", "auto_submitted"),
    ({"X-Autoreply": "yes"}, "Re: 件", "auto_reply"),
    ({}, "不在通知: 12月5日まで不在です", "out_of_office"),
    ({}, "【自動返信】休暇中です", "out_of_office"),
    ({}, "Automatic reply: 件", "out_of_office"),
    ({"Precedence": "bulk"}, "Re: 件", "bulk"),
    ({"List-Id": "<dx.lists.example.jp>"}, "Re: 件", "mailing_list"),
]


def test_machine_written_mail_is_dropped_without_an_answer(mapp):
    filer = make_staff()
    sreq = make_request(filer, state="triage")
    address = reply_address(mapp.config, user_id=filer.id, request_id=sreq.id, internal=False,
                            now=utcnow())
    for headers, subject, reason in AUTO_MAIL:
        raw = build_mail(frm=filer.email, to=address, subject=subject, body="不在です。",
                         headers=headers)
        assert receive_and_commit(raw) == "dropped", subject
        assert db.session.scalar(sa.select(InboundMail.reason).order_by(
            InboundMail.id.desc()).limit(1)) == reason
    assert len(_comments(sreq)) == 0 and _bounces() == []
    # A person's reply that only mentions an absence is not an auto-reply.
    raw = build_mail(frm=filer.email, to=address, subject="Re: 不在時の対応について",
                     body="不在時は課長が対応します。")
    assert receive_and_commit(raw) == "comment"


def test_a_delivery_report_from_the_mailer_daemon_is_dropped(mapp):
    raw = build_mail(frm="MAILER-DAEMON@mx.town.example.lg.jp", to="desk@pref.example.jp",
                     subject="Undelivered Mail Returned to Sender", body="could not deliver",
                     headers={"Content-Type": "multipart/report; report-type=delivery-status"})
    assert receive_and_commit(raw) == "dropped"
    assert _bounces() == []


def test_refusals_get_one_polite_japanese_bounce_per_sender_and_day(mapp, smtp):
    filer = make_staff()
    sreq = make_request(filer, state="triage")
    address = reply_address(mapp.config, user_id=filer.id, request_id=sreq.id, internal=False,
                            now=utcnow())
    forger = "someone@elsewhere.example.com"
    for n in range(2):
        raw = build_mail(frm=forger, to=address, subject=f"Re: 件 {n}", body="なりすまし")
        assert receive_and_commit(raw) == "refused"
    assert len(_comments(sreq)) == 0
    rows = db.session.scalars(sa.select(InboundMail).order_by(InboundMail.id)).all()
    assert [r.reason for r in rows] == ["sender_mismatch", "sender_mismatch"]
    [bounce] = _bounces()
    assert bounce.to_address == forger
    drain(now=utcnow() + timedelta(days=5))
    [(rcpts, mail)] = [(r, m) for r, m in smtp.sink.messages if forger in r]
    assert mail["Auto-Submitted"] == "auto-replied" and mail["Reply-To"] is None
    text = mail.get_body(("plain",)).get_content()
    assert "登録できませんでした" in text and "宛先本人以外からの送信" in text


def test_a_tampered_expired_internal_or_no_longer_visible_token_is_refused(mapp):
    filer = make_staff()
    liaison = make_liaison()
    sreq = make_request(filer, liaison=liaison, state="triage")
    now = utcnow()

    def send(user, internal=False, when=now, tamper=False, frm=None):
        address = reply_address(mapp.config, user_id=user.id, request_id=sreq.id,
                                internal=internal, now=when)
        if tamper:
            local, domain = address.split("@")
            address = local[:-1] + ("0" if local[-1] != "0" else "1") + "@" + domain
        raw = build_mail(frm=frm or user.email, to=address, subject="Re: 件",
                         body=f"本文 {internal} {when} {tamper}")
        receive_and_commit(raw)
        return db.session.scalar(sa.select(InboundMail).order_by(InboundMail.id.desc())).reason

    assert send(filer, tamper=True) == "forged"
    assert send(filer, when=now - timedelta(days=400)) == "expired"
    assert send(liaison, internal=True) == "internal_note"
    other = make_staff("豊岡市")
    assert send(other) == "no_access"
    filer.active = False
    db.session.commit()
    assert send(filer) == "inactive_user"
    assert len(_comments(sreq)) == 0


def test_a_bad_attachment_refuses_the_whole_reply_and_a_good_one_is_attached(mapp):
    from supportdesk.models import RequestAttachment

    filer = make_staff()
    sreq = make_request(filer, state="triage")
    address = reply_address(mapp.config, user_id=filer.id, request_id=sreq.id, internal=False,
                            now=utcnow())
    bad = build_mail(frm=filer.email, to=address, subject="Re: 件", body="実行ファイルです",
                     attachments=[("setup.exe", b"MZ\x90\x00" * 10, "application/octet-stream")])
    assert receive_and_commit(bad) == "refused"
    assert db.session.scalar(sa.select(InboundMail.reason)) == "bad_attachment"
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    good = build_mail(frm=filer.email, to=address, subject="Re: 件", body="様式を送ります",
                      attachments=[("様式第1号.pdf", pdf, "application/pdf")])
    assert receive_and_commit(good) == "comment"
    [att] = db.session.scalars(sa.select(RequestAttachment).where(
        RequestAttachment.request_id == sreq.id)).all()
    assert att.filename == "様式第1号.pdf" and att.comment_id == _comments(sreq)[-1].id


def test_new_mail_from_a_known_user_opens_a_draft_they_confirm_and_strangers_are_held(
        mapp, mclient):
    client = mclient
    filer = make_staff(email="kikaku@town.example.lg.jp")
    raw = build_mail(frm=filer.email, to="desk@pref.example.jp", subject="RPAの導入について",
                     body="RPAの導入を検討しています。相談できますか。", charset="iso-2022-jp")
    assert receive_and_commit(raw) == "draft"
    sreq = db.session.scalar(sa.select(SupportRequest))
    assert sreq.state == "draft" and sreq.filer_id == filer.id and sreq.submitted_at is None
    assert sreq.title == "RPAの導入について" and "相談できますか" in sreq.body
    [notice] = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == "mail.draft_created")).all()
    assert notice.user_id == filer.id and f"/requests/{sreq.id}" in notice.body
    # Nobody else heard of it: a draft is private until its filer submits it.
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
        OutboxMessage.event_type != "mail.draft_created")) == 0

    stranger = build_mail(frm="vendor@sales.example.com", to="desk@pref.example.jp",
                          subject="ご提案", body="弊社製品のご案内です。")
    assert receive_and_commit(stranger) == "held"
    assert db.session.scalar(sa.select(sa.func.count(SupportRequest.id))) == 1
    liaison = make_liaison()
    login(client, liaison)
    page = client.get("/mail/inbound").get_data(as_text=True)
    assert "vendor@sales.example.com" in page and "ご提案" in page
    held = db.session.scalar(sa.select(InboundMail).where(InboundMail.outcome == "held"))
    assert client.post(f"/mail/inbound/{held.id}/dismiss").status_code == 302
    db.session.refresh(held)
    assert held.outcome == "dismissed" and held.reviewed_by_id == liaison.id
    login(client, filer)
    assert client.get("/mail/inbound").status_code == 403
    assert client.get(f"/mail/inbound/{held.id}").status_code == 403


def test_too_big_and_unreadable_messages_are_refused_and_the_desk_keeps_working(mapp):
    mapp.config["MAIL_IN_MAX_BYTES"] = 2000
    big = build_mail(frm="a@town.example.lg.jp", to="desk@pref.example.jp", subject="大きい",
                     body="あ" * 3000)
    assert receive_and_commit(big) == "refused"
    assert receive_and_commit(b"\x00\x01 not a mail at all") == "refused"
    reasons = db.session.scalars(sa.select(InboundMail.reason).order_by(InboundMail.id)).all()
    assert reasons == ["too_large", "unreadable"]
    assert [b.to_address for b in _bounces()] == ["a@town.example.lg.jp"]
    ok = build_mail(frm="x@sales.example.com", to="desk@pref.example.jp", subject="s", body="b")
    assert receive_and_commit(ok) == "held"


def test_the_admin_page_counts_what_was_dropped(mapp, mclient):
    client = mclient
    for n, headers in enumerate(({"Auto-Submitted": "auto-replied"}, {"X-Autoreply": "yes"},
                                 {"Auto-Submitted": "auto-generated"})):
        receive_and_commit(build_mail(frm=f"a{n}@town.example.lg.jp", to="desk@pref.example.jp",
                                      subject="s", body="b", headers=headers))
    login(client, make_user("admin"))
    page = client.get("/mail/inbound").get_data(as_text=True)
    assert 'data-outcome="dropped" data-reason="auto_submitted"><td>自動送信のため破棄</td>' \
        '\n<td>自動送信(Auto-Submitted)</td><td class="num">2</td>' in page


def test_mail_in_command_reads_one_message_from_standard_input(mapp):
    filer = make_staff()
    sreq = make_request(filer, state="triage")
    address = reply_address(mapp.config, user_id=filer.id, request_id=sreq.id, internal=False,
                            now=utcnow())
    raw = build_mail(frm=filer.email, to=address, subject="Re: 件", body="コマンドから")
    result = mapp.test_cli_runner().invoke(args=["mail-in"], input=raw)
    assert result.exit_code == 0 and "mail-in: comment" in result.output
    assert _comments(sreq)[-1].body == "コマンドから"


def test_mail_poll_reads_a_real_imap_mailbox_once_even_when_polled_twice(make_app, smtp):
    with Dovecot() as imap:
        app = make_app(**notify_config(smtp.port, MAIL_REPLY_DOMAIN=REPLY_DOMAIN, **imap.config()))
        with app.app_context():
            filer = make_staff()
            sreq = make_request(filer, state="triage")
            address = reply_address(app.config, user_id=filer.id, request_id=sreq.id,
                                    internal=False, now=utcnow())
            reply = build_mail(frm=filer.email, to=address, subject="Re: 件",
                               body="IMAPから返信します。" + QUOTED, charset="iso-2022-jp")
            imap.deliver(reply)
            imap.deliver(build_mail(frm="x@sales.example.com", to="desk@pref.example.jp",
                                    subject="s", body="b"))
            imap.deliver(reply)  # the same message delivered twice
            assert imap.unseen() == 3
            assert poll_mailbox() == {"comment": 1, "held": 1, "duplicate": 1}
            assert imap.unseen() == 0
            assert poll_mailbox() == {}
            assert [c.body for c in _comments(sreq)] == ["IMAPから返信します。"]
            result = app.test_cli_runner().invoke(args=["mail-poll"])
            assert result.exit_code == 0 and "nothing new" in result.output
            db.session.remove()


def test_request_and_announcement_pages_offer_the_chat_text_to_copy(mapp, mclient):
    from supportdesk.notifications.render import chat_copy_text

    filer = make_staff()
    sreq = make_request(filer, state="triage", title="児童手当の電子申請")
    text = chat_copy_text(sreq=sreq)
    assert text.startswith("【依頼のご案内】 " + sreq.number)
    assert "佐用町" in text and f"https://desk.example.lg.jp/requests/{sreq.id}" in text
    assert "児童手当" not in text  # like a chat message: facts and the link, never the body
    login(mclient, filer)
    page = mclient.get(f"/requests/{sreq.id}").get_data(as_text=True)
    assert "LoGoチャット用にコピー" in page
    assert f"https://desk.example.lg.jp/requests/{sreq.id}" in page.split('id="chat-copy-text"')[1]
