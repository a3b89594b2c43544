"""Workers benchmark: does a second gunicorn worker add throughput? Real HTTP on loopback.

    python bench/workers_bench.py [--count 100000] [--sqlite FILE] [--duration 20]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/workers_bench.py
    python bench/workers_bench.py --smoke        # ~100 requests on small data (CI)

The same data is served by gunicorn with 1 and then 2 sync workers; 8 connections (wrk, or
the harness's Python generator) request a mix of read pages with logged-in sessions: the
queue (a liaison's default view and the manager's all-states view), request pages and
municipality pages. Printed: rps, p50 and p99 for each worker count, the ratio rps(2)/rps(1)
(goal >= 1.7) and p99/p50 (goal <= 4). See bench/README.md.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (Server, build_data, exit_on_sigterm, get, log, login,  # noqa: E402
                     machine_load, print_ratio, run_load)


def targets_for(data, cookies):
    """The read-page mix, each page with one of the logged-in sessions (round-robin)."""
    liaison, manager, manager2 = cookies["liaison"], cookies["manager"], cookies["manager2"]
    pages = [("/queue/", liaison), ("/queue/?state=all", manager)]
    for k, rid in enumerate(data.request_ids[:40]):  # the manager may open every request
        pages.append((f"/requests/{rid}", manager if k % 2 else manager2))
    for k, code in enumerate(data.muni_codes[:20]):
        pages.append((f"/municipalities/{code}", manager2 if k % 2 else manager))
    # Interleave so that consecutive requests hit different pages.
    queue, reqs, munis = pages[:2], pages[2:42], pages[42:]
    mixed = []
    for i in range(max(len(reqs), len(munis))):
        mixed.append(queue[i % 2])
        if i < len(reqs):
            mixed.append(reqs[i])
        if i < len(munis):
            mixed.append(munis[i])
    return mixed


def measure(data, workers, args, config=None):
    with Server(data.uri, workers=workers, root=args.app_root, config=config) as srv:
        cookies = {"liaison": login(srv.base, data.liaison_email),
                   "manager": login(srv.base, data.manager_email),
                   "manager2": login(srv.base, data.manager_email)}
        targets = targets_for(data, cookies)
        for path, cookie in targets[:5]:
            status = get(srv.base, path, cookie)[0]
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
        run_load(srv.base, targets, connections=args.connections, tool="python",
                 requests=args.requests // 2 if args.smoke else 12)  # warm-up
        if args.smoke:
            return run_load(srv.base, targets, connections=args.connections,
                            requests=args.requests, tool="python")
        return run_load(srv.base, targets, connections=args.connections,
                        duration=args.duration, tool=args.tool)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000, help="requests in the data")
    ap.add_argument("--sqlite", metavar="FILE", help="SQLite file to keep and reuse")
    ap.add_argument("--duration", type=int, default=20, help="seconds of load per worker count")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--workers", default="1,2", help="worker counts, in order")
    ap.add_argument("--tool", choices=("wrk", "python"), default=None)
    ap.add_argument("--app-root", help="serve another checkout's code (a 'before' run)")
    ap.add_argument("--compare-immediate", action="store_true",
                    help="also run with SQLITE_DEFERRED_READS=False (every request BEGIN "
                    "IMMEDIATE, as before) in the same run")
    ap.add_argument("--smoke", action="store_true", help="small data, ~100 requests (CI)")
    ap.add_argument("--requests", type=int, default=30, help="requests per count in --smoke")
    args = ap.parse_args(argv)
    exit_on_sigterm()
    if args.smoke:
        args.count = min(args.count, 300)
    data = build_data(args.count, db_url=os.environ.get("DATABASE_URL"), sqlite_path=args.sqlite)
    try:
        log(f"{data.count} requests in {data.uri.split('?')[0].split('@')[-1]}; "
            f"{args.connections} connections; {machine_load()}")
        modes = [("deferred reads", None)]
        if args.compare_immediate:
            modes.insert(0, ("every request IMMEDIATE", {"SQLITE_DEFERRED_READS": False}))
        all_results = {}
        for label, config in modes:
            results = all_results[label] = {}
            for w in [int(x) for x in args.workers.split(",")]:
                res = results[w] = measure(data, w, args, config)
                log(f"{label:24} {w} worker{'s' if w > 1 else ' '}: {res}")
                if res.errors:
                    raise SystemExit(f"{res.errors} requests failed with {w} workers")
        log(f"after the run: {machine_load()}")
        for label, results in all_results.items():
            counts = sorted(results)
            if len(counts) >= 2:
                a, b = results[counts[0]], results[counts[-1]]
                print_ratio(f"{label}: rps {counts[-1]} workers / {counts[0]} worker", b.rps,
                            a.rps, goal=1.7, higher_is_better=True)
            for w in counts:
                print_ratio(f"{label}: p99 / p50 with {w} worker(s)", results[w].p99,
                            results[w].p50, goal=4)
        return all_results
    finally:
        data.cleanup()


if __name__ == "__main__":
    main()
