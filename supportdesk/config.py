"""Built-in configuration defaults: safe values only; secrets come from instance/ or the environment."""
import os
from datetime import timedelta

ENV_PREFIX = "SUPPORTDESK_"


class Defaults:
    ENV = "development"  # "production" refuses to start without a real SECRET_KEY
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = None  # None -> sqlite file in instance/
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = 3600 * 8
    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    LANGUAGES = ("ja", "en")  # the first is the default; auth_loader.supported_locale reads it
    # Sessions: server-side records, idle and absolute limits (ASVS 7.3).
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "__Host-supportdesk"
    # argon2id; the default is RFC 9106's low-memory profile (t=3, m=64 MiB).
    PASSWORD_HASH_TIME_COST = 3
    PASSWORD_HASH_MEMORY_COST = 65536
    PASSWORD_HASH_PARALLELISM = 4
    PASSWORD_MIN_LENGTH = 12
    # zxcvbn's strength score (0-4) a new password must reach; 3 means at least 10^8 guesses
    # against its offline lists of common passwords, names, words and keyboard patterns.
    PASSWORD_MIN_SCORE = 3
    # Login throttling (per account and per client address, over a sliding window): after
    # LOGIN_SLOWDOWN_AFTER_* failures an attempt sooner than LOGIN_SLOWDOWN_DELAY after the last
    # failure is refused; at LOGIN_MAX_FAILURES_* the account or address is locked for
    # LOGIN_LOCK_DURATION. In the environment, durations are given in seconds.
    LOGIN_WINDOW = timedelta(minutes=15)
    LOGIN_SLOWDOWN_AFTER_ACCOUNT = 3
    LOGIN_SLOWDOWN_AFTER_ADDRESS = 10
    LOGIN_SLOWDOWN_DELAY = timedelta(seconds=30)
    LOGIN_MAX_FAILURES_ACCOUNT = 5
    LOGIN_MAX_FAILURES_ADDRESS = 20
    LOGIN_LOCK_DURATION = timedelta(minutes=15)
    # Self-service password reset: the e-mailed link is valid for PASSWORD_RESET_MINUTES; at
    # most PASSWORD_RESET_MAX_PER_* requests per address typed / per client address in
    # PASSWORD_RESET_WINDOW (known and unknown addresses alike, so the limit reveals nothing).
    # Reference lists (municipalities, regions, themes, liaisons, 定型文) are cached per process;
    # the version row makes an admin's change show at once, this bounds any other staleness
    # (seconds; services/reference.py).
    REFERENCE_CACHE_TTL = 60
    PASSWORD_RESET_MINUTES = 30
    PASSWORD_RESET_WINDOW = timedelta(hours=1)
    PASSWORD_RESET_MAX_PER_EMAIL = 3
    PASSWORD_RESET_MAX_PER_ADDRESS = 10
    # Two-factor login (TOTP): roles that must set it up, comma-separated ("admin,manager");
    # empty = optional for everyone. A user of such a role can use no other page until enrolled.
    MFA_REQUIRED_ROLES = ""
    # Single sign-on (services/accounts/sso.py; providers are configured on /admin/sso).
    # A provider must be on https; True allows http on a loopback address (the tests' provider).
    SSO_ALLOW_HTTP_LOOPBACK = False
    SSO_HTTP_TIMEOUT = 10          # seconds for each call to a provider
    SSO_LOGIN_SECONDS = 600        # a sign-in started longer ago than this is refused
    SSO_METADATA_TTL = 3600        # seconds a worker keeps a provider's discovery document and keys
    # Number of reverse proxies (nginx) in front of the app whose X-Forwarded-For/-Proto are
    # trusted; 0 = none. Behind nginx set 1, or every client shares the proxy's address.
    TRUSTED_PROXIES = 0
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    # Office files (docx/xlsx/pptx) are zips: limits on what their directory declares.
    UPLOAD_MAX_ZIP_ENTRIES = 5000
    UPLOAD_MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
    UPLOAD_FOLDER = None  # None -> instance/uploads (outside the database and static/)
    # Where 移管 writes its archives (services/retention/transfer.py).
    RETENTION_ARCHIVE_FOLDER = None  # None -> instance/retention/transfers
    BASE_URL = "http://127.0.0.1:5000"
    # One desk on several networks (links.py, network_access.py). NETWORKS: network name -> base
    # URL ("lgwan=https://desk.pref.example.lg.jp,internet=https://desk.example.jp"); empty = one
    # network, BASE_URL. Links for a user go to their own users.network, else their role's
    # ROLE_NETWORKS entry, else DEFAULT_NETWORK (None = the first of NETWORKS).
    NETWORKS = {}
    DEFAULT_NETWORK = None
    ROLE_NETWORKS = {"municipal_staff": "lgwan", "liaison": "lgwan", "manager": "lgwan",
                     "admin": "lgwan", "expert": "internet"}
    # Host names served besides those of NETWORKS (or BASE_URL); ".example.jp" = its subdomains.
    # Any other Host is refused (400). Outside production localhost and 127.0.0.1 are served too.
    HOSTS = ()
    # The admin pages (/admin/...) and admins' login only through these host names and from these
    # client address ranges (CIDR); empty = no limit. Outside them /admin answers 404.
    ADMIN_HOSTS = ()
    ADMIN_NETWORKS = ()
    # The prefecture pack `flask seed` sets the desk up from (supportdesk/data/packs/): its file
    # name ("nagano"), the prefecture's name ("長野県") or its code ("20"); None = the pack
    # marked `default = true`.
    PREFECTURE = None
    # API rate limit per token (or per address for session callers). Memory storage counts per
    # process: with several app processes use redis://... (RATELIMIT_STORAGE_URI).
    API_RATE_LIMIT = "300 per minute"
    # Participants' survey answers (no login) per client address: a lecture hall behind one
    # municipal address must still get through, a script must not.
    PARTICIPANT_SURVEY_RATE_LIMIT = "60 per 10 minutes"
    PARTICIPANT_SURVEY_LINK_DAYS = 30
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    API_TOKEN_MAX_DAYS = 366
    # 初回回答の目標: business days per request kind (services/response_target.py).
    FIRST_RESPONSE_BUSINESS_DAYS = {"consultation": 2, "lecture": 2, "accompaniment": 2}
    # Notifications (outbox dispatcher, SMTP, chat webhooks, office hours).
    NOTIFY_MAX_ATTEMPTS = 15
    NOTIFY_BACKOFF_BASE = 5  # seconds; full jitter: random(0, min(cap, base * 2**attempts))
    NOTIFY_BACKOFF_CAP = 3600
    NOTIFY_CLAIM_TIMEOUT = 300  # a 'sending' row older than this was left by a crashed dispatcher
    NOTIFY_BATCH_SIZE = 50
    NOTIFY_HTTP_TIMEOUT = 10
    NOTIFY_SMTP_TIMEOUT = 10
    SMTP_HOST = "localhost"
    SMTP_PORT = 25
    SMTP_STARTTLS = False
    SMTP_USERNAME = None
    SMTP_PASSWORD = None
    MAIL_FROM = None  # set: every mail's From, whatever the desk's settings say (services/desk)
    # Replies by e-mail (services/mail_in): mail about a request gets
    # Reply-To: reply+<signed token>@MAIL_REPLY_DOMAIN; None turns replies by mail off.
    MAIL_REPLY_DOMAIN = None
    MAIL_REPLY_TOKEN_DAYS = 180          # a reply address older than this is refused
    MAIL_IN_ADDRESS = None               # the desk's own address: new mail there opens a draft
    MAIL_IN_MAX_BYTES = 15 * 1024 * 1024  # a bigger inbound message is refused
    MAIL_IMAP_HOST = None                # mail-poll / the mail_poll job read this mailbox
    MAIL_IMAP_PORT = 993
    MAIL_IMAP_SSL = True                 # IMAPS; False with MAIL_IMAP_STARTTLS for port 143
    MAIL_IMAP_STARTTLS = False
    MAIL_IMAP_USERNAME = None
    MAIL_IMAP_PASSWORD = None
    MAIL_IMAP_FOLDER = "INBOX"
    OFFICE_HOURS_START = "08:30"  # 開庁時間, Asia/Tokyo, on business days (calendar_jp)
    OFFICE_HOURS_END = "17:15"
    # Webhook URLs admins may enter: https only unless allowed, hosts from this list if non-empty.
    CHAT_WEBHOOK_ALLOW_HTTP = False
    CHAT_WEBHOOK_ALLOWED_HOSTS = ()


def env_overrides(environ=None):
    """Read DATABASE_URL, SECRET_KEY and SUPPORTDESK_* from the environment."""
    environ = os.environ if environ is None else environ
    out = {}
    if environ.get("DATABASE_URL"):
        out["SQLALCHEMY_DATABASE_URI"] = environ["DATABASE_URL"]
    if environ.get("SECRET_KEY"):
        out["SECRET_KEY"] = environ["SECRET_KEY"]
    for key, value in environ.items():
        if key.startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX):]
            out[name] = _coerce(value)
            if isinstance(getattr(Defaults, name, None), timedelta):
                out[name] = timedelta(seconds=int(value))  # durations come as seconds
    return out


def _coerce(value):
    low = value.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    try:
        return int(value)
    except ValueError:
        return value


def normalise_db_url(url):
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
