"""Reply addresses: every notification mail about a request says where a reply goes.

`Reply-To: reply+<user>.<request>.<p|n>.<day>.<mac>@<MAIL_REPLY_DOMAIN>` is unique to the
recipient and the request, and signed with the app's secret (HMAC-SHA256), so nobody can make
one for another person or request. `p` marks mail about something the municipality sees, `n`
mail about an internal note (a reply to that is refused). `day` is the day it was sent, for
expiry. Only lower-case letters, digits and dots are used: mail servers may change the case
of the local part. The dispatcher mints it at send time; the inbound service reads it back.
"""
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date

EPOCH = date(2020, 1, 1)
PATTERN = re.compile(r"reply\+(\d{1,10})\.(\d{1,10})\.([pn])\.(\d{1,6})\.([0-9a-f]{24})@(\S+)$")


@dataclass(frozen=True)
class ReplyToken:
    user_id: int
    request_id: int
    internal: bool
    sent_on: date
    valid_signature: bool


def _mac(secret, text):
    return hmac.new(str(secret).encode(), b"reply-address:" + text.encode(),
                    hashlib.sha256).hexdigest()[:24]


def reply_domain(config):
    return (config.get("MAIL_REPLY_DOMAIN") or "").strip().lower() or None


def reply_address(config, *, user_id, request_id, internal, now):
    """The Reply-To of a mail to `user_id` about `request_id`, or None when replies are off."""
    domain = reply_domain(config)
    if not (domain and user_id and request_id and config.get("SECRET_KEY")):
        return None
    text = f"{int(user_id)}.{int(request_id)}.{'n' if internal else 'p'}.{(now.date() - EPOCH).days}"
    return f"reply+{text}.{_mac(config['SECRET_KEY'], text)}@{domain}"


def read_reply_token(config, addresses):
    """The first reply token among `addresses` for this desk's reply domain, or None."""
    domain = reply_domain(config)
    for address in addresses:
        match = PATTERN.match((address or "").strip().lower())
        if not match or match.group(6) != domain:
            continue
        user_id, request_id, flag, day, mac = match.groups()[:5]
        text = f"{user_id}.{request_id}.{flag}.{day}"
        valid = bool(config.get("SECRET_KEY")) and hmac.compare_digest(
            mac, _mac(config["SECRET_KEY"], text))
        return ReplyToken(int(user_id), int(request_id), flag == "n",
                          date.fromordinal(EPOCH.toordinal() + int(day)), valid)
    return None
