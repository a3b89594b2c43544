#!/usr/bin/env python3
"""The demo smoke (../shared/tools/demo_smoke.py) on another pack's demo:

    .venv/bin/python tests/demo_smoke_pack.py nagano [path/to/demo_smoke.py]

The smoke seeds the demo with `flask seed --demo` and logs in with every account of the demo
table of the README in its working directory. This runs it from a throw-away directory whose
README.md holds the pack's demo accounts (README's "E-mail (<Pack> demo)" table, written in the
smoke's format), with SUPPORTDESK_PREFECTURE=<pack> and this tree first on PYTHONPATH. It prints
the smoke's output and exits with its code (0 = nothing broke).
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMOKE = os.path.join(ROOT, os.pardir, "shared", "tools", "demo_smoke.py")


def pack_readme(pack):
    """README.md text for the smoke: the shared password and the pack's accounts."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    password = re.search(r"\*\*`([^`]+)`\*\*", readme).group(1)
    table = readme.split(f"| E-mail ({pack.title()} demo) |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\|\s*([\w.+-]+@[\w.-]+)\s*\|\s*([a-z_ ]+?)\s*\|", table, re.MULTILINE)
    if not rows:
        sys.exit(f"README.md has no 'E-mail ({pack.title()} demo)' table")
    lines = [f"The {pack} demo. Password **`{password}`**.", "", "| Role | E-mail |", "|---|---|"]
    lines += [f"| {role} | {email} |" for email, role in rows]
    return "\n".join(lines) + "\n"


def main(argv):
    pack = argv[1] if len(argv) > 1 else "nagano"
    smoke = os.path.abspath(argv[2] if len(argv) > 2 else SMOKE)
    work = tempfile.mkdtemp(prefix=f"sd-smoke-{pack}-")
    with open(os.path.join(work, "README.md"), "w", encoding="utf-8") as fh:
        fh.write(pack_readme(pack))
    env = dict(os.environ, SUPPORTDESK_PREFECTURE=pack,
               PYTHONPATH=os.pathsep.join(filter(None, (ROOT, os.environ.get("PYTHONPATH")))))
    return subprocess.run([sys.executable, smoke, *argv[3:]], cwd=work, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
