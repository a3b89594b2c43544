"""Bench smoke: every script in bench/ runs end to end in a tiny mode, so none of them rots.

The benches themselves stay out of the test run (minutes each, on 100k requests); here each
runs on a few hundred requests with about 100 measured calls, in parallel, on SQLite (a
temporary file of its own). Only that they run and print their figures is checked: the
numbers of a two-core CI box under a test suite's load mean nothing.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SMOKES = {
    "workers_bench.py": (["--smoke"], ["1 worker :", "2 workers:", "rps 2 workers / 1 worker"]),
    "memory_bench.py": (["--smoke"], ["bare Flask worker after start", "app worker / bare"]),
    "queue_bench.py": (["--count", "300", "--runs", "2"], ["liaison default", "x p50"]),
    "report_bench.py": (["--count", "300", "--runs", "1"], ["monthly report"]),
    "dispatch_bench.py": (["--n", "50"], ["msgs/s"]),
    "search_bench.py": (["--tiny"], ["交付"]),
    "pages_bench.py": (["--count", "300", "--runs", "1"], ["queue"]),
    "national_bench.py": (["--smoke"], ["1,741 municipalities", "queue: liaison default",
                                        "monthly report", "drop-downs alone"]),
}


def bench_scripts():
    """Every bench/*_bench.py; one not named above runs with --smoke (the convention)."""
    names = sorted(f for f in os.listdir(os.path.join(ROOT, "bench")) if f.endswith("_bench.py"))
    return {name: SMOKES.get(name, (["--smoke"], [])) for name in names}


def test_every_bench_script_runs_in_its_tiny_mode():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    scripts = bench_scripts()
    assert set(SMOKES) <= set(scripts)
    procs = {name: subprocess.Popen([sys.executable, os.path.join(ROOT, "bench", name), *args],
                                    cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
             for name, (args, _) in scripts.items()}
    outputs = {name: p.communicate(timeout=300)[0] for name, p in procs.items()}
    for name, (_, expected) in scripts.items():
        out = outputs[name]
        assert procs[name].returncode == 0, f"{name} failed:\n{out[-3000:]}"
        for text in expected:
            assert text in out, f"{name} printed no {text!r}:\n{out[-3000:]}"
