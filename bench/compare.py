"""Before and after on a busy machine: two checkouts timed alternately on the same database.

    uv run python -m bench.compare --before ../helpline-main --after . \\
        --only board.dispatcher.default,ticket.,write. --rounds 4

Runs `./dev bench`'s runner (`python -m bench.run --no-save --no-explain`) in each checkout in
turn, `--rounds` times (the order alternating, so neither side always follows the other), and
prints a Markdown table of the medians over the rounds: wall-clock median and p95, CPU time,
queries. Both sides see the same neighbours, which a before and an after run an hour apart do
not. The database must suit both checkouts (the older one migrates nothing it does not know).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROW = re.compile(
    r"^((?:board|counts|ticket|portal|events|write|search|activity)\.\S+)\s+([\d.]+)\s+([\d.]+)\s+"
)


def _run(tree: Path, args) -> tuple[dict[str, tuple[float, float, float, int]], str]:
    command = [sys.executable, "-m", "bench.run", "--no-save", "--no-explain"]
    command += ["--repeats", str(args.repeats), "--only", args.only]
    if args.database_url:
        command += ["--database-url", args.database_url]
    env = {**os.environ, "HELPLINE_DATA_DIR": str(tree / "var" / "bench")}
    out = subprocess.run(  # noqa: S603 (our own runner)
        command, cwd=tree, capture_output=True, text=True, env=env, check=True
    ).stdout
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if ROW.match(line) and len(parts) >= 6:
            try:
                rows[parts[0]] = (float(parts[2]), float(parts[3]), float(parts[4]), int(parts[5]))
            except ValueError:
                continue
    load = re.search(r"load average ([\d.]+)", out)
    return rows, load.group(1) if load else "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=Path())
    parser.add_argument("--database-url", default=os.environ.get("HELPLINE_BENCH_DATABASE_URL"))
    parser.add_argument("--only", required=True, help="as for ./dev bench")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args(argv)

    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    seen: dict[str, dict[str, list]] = {"before": {}, "after": {}}
    loads = []
    for round_ in range(args.rounds):
        order = list(sides.items()) if round_ % 2 == 0 else list(sides.items())[::-1]
        for name, tree in order:
            rows, load = _run(tree, args)
            loads.append(load)
            for key, row in rows.items():
                seen[name].setdefault(key, []).append(row)
            print(f"{name}, round {round_ + 1}: load average {load}", file=sys.stderr)

    def med(rows: list, i: int) -> float:
        return statistics.median(r[i] for r in rows)

    print("| case | before (median / p95 ms) | after | CPU ms before → after | queries |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for key, after in seen["after"].items():
        before = seen["before"].get(key)
        if not before:
            continue
        print(
            f"| `{key}` | {med(before, 0):.0f} / {med(before, 1):.0f} "
            f"| {med(after, 0):.0f} / {med(after, 1):.0f} "
            f"| {med(before, 2):.0f} → {med(after, 2):.0f} | {before[0][3]} → {after[0][3]} |"
        )
    print(f"\nload averages at the start of each run: {', '.join(loads)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
