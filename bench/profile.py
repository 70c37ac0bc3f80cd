"""Where a benchmark case's time goes: cProfile over repeated runs of the chosen cases.

    uv run python -m bench.profile --only board.dispatcher.default --runs 20 [--sort tottime]

Runs on the same database and settings as `./dev bench` (SQLite 100k by default), warms each
case up, then profiles `--runs` requests of it and prints the functions that took the most time
(`--limit`, 40). Profiling slows Python about twofold: compare shares, not milliseconds.
"""

import argparse
import cProfile
import os
import pstats
import sys

from .environment import configure, default_database_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("HELPLINE_BENCH_DATABASE_URL"))
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--only", required=True, help="as for ./dev bench")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sort", default="cumulative", help="pstats order (cumulative, tottime)")
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--dump", help="write the raw profile to this file too")
    args = parser.parse_args(argv)

    configure(args.database_url or default_database_url(args.tickets))
    from django.test import Client

    from .cases import ANONYMOUS, build_cases, personas

    people = personas()
    only = tuple(part for part in args.only.split(",") if part)
    for case in build_cases(people):
        if not any(o in case.key for o in only) or not case.url:
            continue
        client = Client(SERVER_NAME="localhost")
        if case.persona != ANONYMOUS:
            client.force_login(people[case.persona])
        headers = {"HX-Request": "true"} if case.htmx else {}

        def request(data=None, case=case, client=client, headers=headers):
            if case.data is not None:
                return client.post(case.url, data=data, headers=headers)
            return client.get(case.url, headers=headers)

        for _warm in range(3):
            request(case.data() if case.data else None)
        profile = cProfile.Profile()
        for _run in range(args.runs):
            data = case.data() if case.data else None
            profile.enable()
            response = request(data)
            profile.disable()
        print(f"=== {case.key}: {response.status_code}, {len(response.content):,} bytes")
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats(args.sort).print_stats(args.limit)
        if args.dump:
            stats.dump_stats(f"{args.dump}.{case.key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
