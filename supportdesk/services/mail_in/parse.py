"""One inbound RFC 5322 message read into what the desk needs: who, to whom, the new text
(quotes and signature cut off), the attachments, and whether a machine sent it."""
import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from .decode import decode_bytes, decode_header_value

# Machine-written mail: recognised and dropped, never answered (RFC 3834, RFC 3464, RFC 2369).
AUTO_SUBJECT = re.compile(
    r"^\s*(?:[\[【(]?\s*(?:自動(?:返信|応答|送信)|不在(?:通知|のお知らせ|連絡|中)?)\s*[\]】)]?|"
    r"out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?(?:reply|response)|"
    r"undeliverable|undelivered mail|delivery status notification|mail delivery failed|"
    r"returned mail|配信(?:不能|エラー|失敗)|(?:メール)?不達)", re.IGNORECASE)
DAEMON_SENDERS = re.compile(r"^(?:mailer-daemon|postmaster|noreply|no-reply)@", re.IGNORECASE)

# Where the quoted earlier mail starts, as Japanese and other clients write it.
QUOTE_HEADERS = [re.compile(p, re.IGNORECASE) for p in (
    r"^\s*-{2,}\s*(?:original message|元のメッセージ|転送メッセージ|forwarded message)\s*-{2,}",
    r"^\s*_{10,}\s*$",                                             # Outlook's rule
    r"^\s*(?:from|差出人|送信者)\s*[::].+$",                       # Outlook's header block
    r"^.*\bwrote\s*:\s*$",                                         # On ..., X wrote:
    r"^.*(?:さんは書きました|のメッセージ|wrote)\s*[::]\s*$",
    r"^.*\d{4}[年/-]\s*\d{1,2}[月/-]\s*\d{1,2}.*(?:<[^>]+@[^>]+>|さん).*[::]\s*$",
    r"^\s*>",                                                      # the quoted lines themselves
)]
SIGNATURE_RULE = re.compile(r"^\s*(?:-- ?|[-=_*━─＝~～※]{8,})\s*$")
SIGNATURE_MAX_LINES = 12


@dataclass
class Parsed:
    message_id: str
    from_address: str
    from_name: str
    recipients: list
    subject: str
    text: str
    full_text: str
    attachments: list = field(default_factory=list)   # [(filename, bytes)]
    auto_reason: str | None = None
    dedupe_key: str = ""


class Unreadable(Exception):
    """The bytes are not a message the desk can read (no sender, no structure)."""


class _HTMLText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag in ("br", "p", "div", "tr", "li"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _html_to_text(html):
    parser = _HTMLText()
    parser.feed(html)
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts))


def _part_text(part):
    data = part.get_payload(decode=True) or b""
    return decode_bytes(data, part.get_content_charset())


def _walk(msg):
    """(plain text, html text, attachments) of a message, its alternatives chosen by type."""
    plain, html, files = [], [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        if filename or disposition == "attachment":
            files.append((decode_header_value(filename or "attachment"),
                          part.get_payload(decode=True) or b""))
        elif ctype == "text/plain":
            plain.append(_part_text(part))
        elif ctype == "text/html":
            html.append(_html_to_text(_part_text(part)))
    return "\n".join(plain), "\n".join(html), files


def strip_reply(text):
    """The new words of a reply: up to the quoted earlier mail, without the signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, line in enumerate(lines):
        if any(p.match(line) for p in QUOTE_HEADERS) and any(x.strip() for x in lines[:i]):
            lines = lines[:i]
            break
    for i in range(len(lines) - 1, -1, -1):
        if SIGNATURE_RULE.match(lines[i]):
            if len(lines) - i <= SIGNATURE_MAX_LINES and any(x.strip() for x in lines[:i]):
                lines = lines[:i]
            break
    return "\n".join(lines).strip()


def auto_reason(msg, from_address, subject):
    """Why a machine wrote this message (auto-reply, delivery report, list), or None."""
    auto = (msg.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return "auto_submitted"
    if msg.get("X-Autoreply") or msg.get("X-Autorespond") or msg.get("X-Auto-Reply"):
        return "auto_reply"
    if msg.get_content_type() == "multipart/report" or any(
            p.get_content_type() in ("message/delivery-status", "message/disposition-notification")
            for p in msg.walk()):
        return "delivery_report"
    if DAEMON_SENDERS.match(from_address or "") or (msg.get("Return-Path") or "").strip() == "<>":
        return "delivery_report"
    if (msg.get("Precedence") or "").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return "bulk"
    if msg.get("List-Id") or msg.get("List-Unsubscribe") or msg.get("List-Post"):
        return "mailing_list"
    if AUTO_SUBJECT.match(subject or ""):
        return "out_of_office"
    return None


def dedupe_key(message_id, msg, body_bytes):
    """Message-ID plus a digest of what the sender wrote (not the relays' Received lines)."""
    digest = hashlib.sha256()
    for name in ("From", "Date", "Subject", "To"):
        digest.update(str(msg.get(name, "")).encode("utf-8", "surrogateescape") + b"\0")
    digest.update(body_bytes)
    return hashlib.sha256(f"{message_id}\0{digest.hexdigest()}".encode(
        "utf-8", "surrogateescape")).hexdigest()


def parse_message(raw):
    if not raw or b":" not in raw[:2000]:
        raise Unreadable("no header")
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    # Header values as received (raw 8-bit bytes kept as surrogates), decoded by decode.py.
    heads = {}
    for key, value in msg.raw_items():
        heads.setdefault(key.lower(), value)
    name, address = parseaddr(decode_header_value(heads.get("from")))
    if not address or "@" not in address:
        raise Unreadable("no sender")
    subject = decode_header_value(heads.get("subject"))
    recipients = [a.lower() for _, a in getaddresses(
        [str(msg.get(h, "")) for h in ("To", "Cc", "Delivered-To", "X-Original-To",
                                        "Envelope-To")]) if a]
    plain, html, files = _walk(msg)
    full = plain if plain.strip() else html
    message_id = (msg.get("Message-ID") or "").strip()
    sep = raw.find(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.find(b"\n\n")
    body = raw[sep:] if sep >= 0 else b""
    return Parsed(message_id=message_id[:250], from_address=address.lower(), from_name=name,
                  recipients=recipients, subject=subject, text=strip_reply(full),
                  full_text=full, attachments=files,
                  auto_reason=auto_reason(msg, address, subject),
                  dedupe_key=dedupe_key(message_id, msg, body))
