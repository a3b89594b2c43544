"""E-mail over SMTP: Japanese subject, plain text with an HTML alternative, a deterministic
Message-ID and an X-Supportdesk-Delivery header carrying the idempotency key.

A secret that must never rest in the outbox (the password-reset link) is minted here, when the
mail is sent: the stored body, HTML and link carry SECRET_SLOT, and payload["secret"] names the
minter, which the service that owns the secret registers at app start (register_secret; the
channel knows no service). The clear value exists only in the SMTP conversation, never in the
database or the logs.
"""
import hashlib
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from ...mail_identity import mail_sender
from ...timeutil import utcnow
from ..reply_address import reply_address
from . import DeliveryError

SECRET_SLOT = "{secret}"
SECRET_MINTERS = {}  # kind -> function(outbox snapshot) -> clear secret; see register_secret


def register_secret(kind, minter):
    """Let the e-mail channel fill SECRET_SLOT of messages whose payload["secret"] is `kind`."""
    SECRET_MINTERS[kind] = minter


def _minter(kind):
    try:
        return SECRET_MINTERS[kind]
    except KeyError:
        raise DeliveryError(f"unknown secret kind {kind!r}", permanent=True) from None


def fill_secret(msg):
    """The message with its SECRET_SLOT filled in, or unchanged if it has no secret. A minter
    raises DeliveryError (permanent: dropped) when the secret may no longer be issued."""
    kind = (msg.get("payload") or {}).get("secret")
    if not kind:
        return msg
    value = _minter(kind)(msg)
    return {**msg, **{key: msg[key].replace(SECRET_SLOT, value)
                      for key in ("body", "html") if msg.get(key)}}


def build_message(msg, config):
    mail = EmailMessage()
    mail["Subject"] = msg["subject"]
    sender = mail_sender(config)
    mail["From"] = sender
    mail["To"] = msg["to_address"]
    mail["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1] or "supportdesk.local"
    digest = hashlib.sha256(msg["idempotency_key"].encode()).hexdigest()[:32]
    mail["Message-ID"] = f"<{digest}@{domain}>"
    mail["X-Supportdesk-Delivery"] = msg["idempotency_key"]
    # RFC 3834: the desk's mail is machine-written, so out-of-office responders stay quiet;
    # a refusal of an inbound mail is an auto-reply, which nothing answers again.
    mail["Auto-Submitted"] = ("auto-replied" if msg.get("event_type") == "mail.refused"
                              else "auto-generated")
    reply_to = reply_address(config, user_id=msg.get("user_id"), request_id=msg.get("request_id"),
                             internal=msg.get("event_type") == "request.note", now=utcnow())
    if reply_to:
        mail["Reply-To"] = reply_to
    mail.set_content(msg["body"])
    if msg.get("html"):
        mail.add_alternative(msg["html"], subtype="html")
    return mail


def send(msg, config):
    mail = build_message(fill_secret(msg), config)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]),
                          timeout=config["NOTIFY_SMTP_TIMEOUT"]) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            refused = smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise DeliveryError(f"SMTP recipient refused: {codes}",
                            permanent=all(c >= 500 for c in codes)) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                            permanent=exc.smtp_code >= 500) from exc
    except (smtplib.SMTPException, OSError, socket.timeout) as exc:
        raise DeliveryError(f"SMTP connection: {type(exc).__name__}: {exc}") from exc
    if refused:
        raise DeliveryError(f"SMTP recipient refused: {list(refused.values())}")
