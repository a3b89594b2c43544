#!/usr/bin/env python3
"""The two commands: `python3 run.py demo [--prefecture nagano]` (serve with demo data) and
`python3 run.py test`.

Needs only python3. Creates .venv/, installs the project (and its test extras), then acts.
"""
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import venv

ROOT = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".venv")
BIN = os.path.join(VENV, "bin")
PY = os.path.join(BIN, "python")


def sh(*args, env=None, check=True):
    print("+", " ".join(args), flush=True)
    return subprocess.run(args, cwd=ROOT, env=env, check=check).returncode


def ensure_venv(extras):
    if not os.path.exists(PY):
        venv.EnvBuilder(with_pip=True).create(VENV)
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        digest = hashlib.sha256(fh.read() + extras.encode()).hexdigest()
    stamp = os.path.join(VENV, f".installed-{extras or 'base'}")
    if os.path.exists(stamp) and open(stamp).read() == digest:
        return
    sh(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    sh(PY, "-m", "pip", "install", "--quiet", "-e", target)
    with open(stamp, "w") as fh:
        fh.write(digest)


# Debian packages the tests need: the browser, and a Japanese font (without one every kanji is
# drawn as a box, and the layout tests measure the wrong widths); dovecot, the real IMAP server
# the inbound-mail tests read from (started on loopback by tests/mail_helpers.py).
BROWSER_PACKAGES = {"chromium": "/usr/bin/chromium",
                    "fonts-ipafont-gothic": "/usr/share/fonts/opentype/ipafont-gothic",
                    "dovecot-imapd": "/usr/sbin/dovecot"}
# The printed reports (WeasyPrint): pango, and the same Japanese font, embedded in every PDF.
PRINT_PACKAGES = {"libpango-1.0-0": "/usr/lib/*/libpango-1.0.so.0",
                  "libpangoft2-1.0-0": "/usr/lib/*/libpangoft2-1.0.so.0",
                  "fonts-ipafont-gothic": "/usr/share/fonts/opentype/ipafont-gothic"}


def ensure_debian(packages, what):
    """Install the Debian packages whose file is missing when we can (root + apt)."""
    missing = [pkg for pkg, path in packages.items() if not glob.glob(path)]
    if not missing:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sh("apt-get", "update", "-qq", env=env, check=False)
        sh("apt-get", "install", "-y", "-qq", *missing, env=env, check=False)
    for pkg, path in packages.items():
        if not glob.glob(path):
            print(f"WARNING: {path} is missing; {what}. "
                  f"Install Debian's {pkg} package.", flush=True)


def ensure_chromium():
    """The browser tests drive Debian's chromium; the PDF tests need pango and the font."""
    ensure_debian({**BROWSER_PACKAGES, **PRINT_PACKAGES}, "the browser or PDF tests will fail")


E2E = os.path.join(ROOT, "tests", "e2e")


def ensure_axe():
    """The test-only npm packages in tests/e2e/node_modules (never in static/, never served):
    axe-core for the accessibility tests, oidc-provider for the single sign-on tests (the real
    OpenID provider tests/oidc/provider.mjs runs with the machine's Node.js). Installed from the
    lock file once; a changed lock file (its digest is the stamp) installs again."""
    lock = os.path.join(E2E, "package-lock.json")
    stamp = os.path.join(E2E, "node_modules", ".installed-lock")
    with open(lock, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    if os.path.exists(stamp):
        with open(stamp) as fh:
            if fh.read() == digest:
                return
    if not shutil.which("npm"):
        print("WARNING: npm is missing; the accessibility and single sign-on tests will fail. "
              "Install Debian's npm package (with nodejs).", flush=True)
        return
    sh("npm", "ci", "--prefix", E2E, "--no-audit", "--no-fund", "--loglevel=error")
    with open(stamp, "w") as fh:
        fh.write(digest)


def flask(*args, env=None):
    return sh(os.path.join(BIN, "flask"), "--app", "supportdesk", *args, env=env)


def prefecture_option(argv):
    """`--prefecture nagano` (or `--prefecture=nagano`) taken out of argv; else the
    SUPPORTDESK_PREFECTURE setting; None for the default pack."""
    rest, wanted = [], os.environ.get("SUPPORTDESK_PREFECTURE") or None
    args = iter(argv)
    for arg in args:
        if arg == "--prefecture":
            wanted = next(args, None)
            if not wanted:
                sys.exit("run.py demo --prefecture needs a pack: a file name (nagano), "
                         "a name (長野県) or a code (20)")
        elif arg.startswith("--prefecture="):
            wanted = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    return wanted, rest


def demo(argv):
    """Serve the demo desk; `--prefecture nagano` seeds the demo on that pack (with its own
    SQLite file in instance/, as a desk set up for one prefecture is never re-seeded as another)."""
    prefecture, argv = prefecture_option(argv)
    env = dict(os.environ)
    if prefecture:
        env["SUPPORTDESK_PREFECTURE"] = prefecture
        if not env.get("DATABASE_URL"):
            name = "".join(c for c in prefecture if c.isalnum()) or "pack"
            env["DATABASE_URL"] = "sqlite:///" + os.path.join(ROOT, "instance",
                                                              f"supportdesk-{name}.sqlite3")
            os.makedirs(os.path.join(ROOT, "instance"), exist_ok=True)
    ensure_venv("")
    ensure_debian(PRINT_PACKAGES, "the printed (PDF) reports will fail")
    flask("db", "upgrade", env=env)
    flask("seed", "--demo", env=env)
    port = os.environ.get("PORT", "5000")
    desk = f"DX支援デスク ({prefecture})" if prefecture else "市町DX支援デスク"
    print(f"\n  {desk}: http://127.0.0.1:{port}/  (demo accounts: see README.md)\n", flush=True)
    os.execve(os.path.join(BIN, "flask"),
              [os.path.join(BIN, "flask"), "--app", "supportdesk", "run", "--host", "127.0.0.1",
               "--port", port, *argv], env)


def test(argv):
    ensure_venv("test")
    ensure_chromium()
    ensure_axe()
    workers = os.environ.get("TEST_WORKERS", "2")
    args = [PY, "-m", "pytest", "-n", workers, "--dist", "loadfile", *argv]
    code = subprocess.run(args, cwd=ROOT).returncode
    sys.exit(code)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "test"):
        print(__doc__)
        sys.exit(2)
    {"demo": demo, "test": test}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
