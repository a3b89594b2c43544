"""Inbound mail for tests: messages built byte by byte in the charsets Japanese clients use,
and a real IMAP server (Debian's dovecot) on loopback with one mailbox."""
import base64
import getpass
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from email.header import Header
from email.utils import formatdate, make_msgid

from tests.notify_helpers import free_port


def encode_header(text, charset):
    if charset in ("shift_jis", "cp932"):
        return "=?Shift_JIS?B?" + base64.b64encode(text.encode("cp932")).decode() + "?="
    return Header(text, charset).encode()


def build_mail(*, frm, to, subject, body, charset="utf-8", headers=None, attachments=(),
               message_id=None, raw_headers=False, content_type="text/plain"):
    """Bytes of a message as a Japanese mail client writes it. charset: utf-8, iso-2022-jp or
    shift_jis (written as cp932, like Windows does: ① and friends included). raw_headers puts
    the subject in raw 8-bit bytes of the charset, without MIME encoding (broken clients do)."""
    label = {"utf-8": "UTF-8", "iso-2022-jp": "ISO-2022-JP", "shift_jis": "Shift_JIS"}[charset]
    codec = {"utf-8": "utf-8", "iso-2022-jp": "iso2022_jp_ext", "shift_jis": "cp932"}[charset]
    lines = [f"From: {frm}", f"To: {to}", f"Date: {formatdate()}",
             f"Message-ID: {message_id or make_msgid(domain='town.example.lg.jp')}",
             "MIME-Version: 1.0"]
    subject_line = ("Subject: " + subject).encode(codec) if raw_headers else \
        ("Subject: " + encode_header(subject, charset)).encode()
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    payload = body.encode(codec)
    if charset == "iso-2022-jp":
        text_part = [f"Content-Type: {content_type}; charset={label}", "Content-Transfer-Encoding: 7bit"]
        text_body = payload
    else:
        text_part = [f"Content-Type: {content_type}; charset={label}",
                     "Content-Transfer-Encoding: base64"]
        text_body = base64.encodebytes(payload)
    head = "\r\n".join(lines).encode() + b"\r\n" + subject_line + b"\r\n"
    if not attachments:
        return head + "\r\n".join(text_part).encode() + b"\r\n\r\n" + text_body
    boundary = "==sd-boundary-42=="
    out = head + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode()
    out += f"--{boundary}\r\n".encode() + "\r\n".join(text_part).encode() + b"\r\n\r\n" + \
        text_body + b"\r\n"
    for name, data, ctype in attachments:
        out += (f"--{boundary}\r\nContent-Type: {ctype}\r\n"
                f"Content-Disposition: attachment; filename=\"{encode_header(name, 'utf-8')}\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(data)
    return out + f"--{boundary}--\r\n".encode()


class Dovecot:
    """Debian's dovecot, in the foreground, on a loopback port, with one user and mailbox."""

    def __init__(self, user="desk", password="imap-test-pass"):
        # Its own folder under /tmp: dovecot's auth process (another user) must reach it, and
        # pytest's tmp_path sits under a folder only root may enter.
        self.root = tempfile.mkdtemp(prefix="sd-imap-")
        self.user, self.password = user, password
        self.port = free_port()
        self.proc = None

    def _config(self):
        # The mailbox is owned by a non-root user (dovecot refuses uid 0 for mail access).
        me = pwd.getpwnam("mail") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
        internal = "dovecot" if os.getuid() == 0 else getpass.getuser()
        login = "dovenull" if os.getuid() == 0 else getpass.getuser()
        for sub in ("run", "state", "mail", "home"):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
            if sub in ("mail", "home") and os.getuid() == 0:
                os.chown(os.path.join(self.root, sub), me.pw_uid, me.pw_gid)
        with open(os.path.join(self.root, "passwd"), "w") as fh:
            fh.write(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        # dovecot's auth process runs as its own user: it must reach the password file.
        os.chmod(self.root, 0o755)
        os.chmod(os.path.join(self.root, "passwd"), 0o644)
        conf = os.path.join(self.root, "dovecot.conf")
        with open(conf, "w") as fh:
            fh.write(f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
default_internal_user = {internal}
default_login_user = {login}
mail_location = maildir:{self.root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={me.pw_uid} gid={me.pw_gid} home={self.root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""")
        return conf

    def __enter__(self):
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.proc = subprocess.Popen([binary, "-F", "-c", self._config()],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                self._login().logout()  # the port opens before the auth process is ready
                return self
            except (OSError, imaplib.IMAP4.error):
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        log = ""
        if os.path.exists(os.path.join(self.root, "dovecot.log")):
            log = open(os.path.join(self.root, "dovecot.log")).read()
        self.__exit__()
        raise RuntimeError(f"dovecot did not start: {log}")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def config(self):
        return dict(MAIL_IMAP_HOST="127.0.0.1", MAIL_IMAP_PORT=self.port, MAIL_IMAP_SSL=False,
                    MAIL_IMAP_STARTTLS=False, MAIL_IMAP_USERNAME=self.user,
                    MAIL_IMAP_PASSWORD=self.password, MAIL_IMAP_FOLDER="INBOX")

    def _login(self):
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
        conn.login(self.user, self.password)
        return conn

    def deliver(self, raw):
        """Put a message into the mailbox with IMAP APPEND, as the MTA's delivery would."""
        conn = self._login()
        conn.append("INBOX", None, None, raw)
        conn.logout()

    def unseen(self):
        conn = self._login()
        conn.select("INBOX")
        _t, data = conn.uid("SEARCH", None, "UNSEEN")
        conn.logout()
        return len((data[0] or b"").split())
