#!/usr/bin/env python3
"""How long ``make test`` takes after set-up (``make bench-tests``; issue 10).

Runs the whole test suite (``python -m pytest``, as ``make test`` does once
the set-up is done) several times and prints the median wall-clock time
against the goal of 12 minutes on a 2-core machine (the developers' guide), with each run's slowest
steps as pytest reports them (``--durations``): the from-scratch build, the
site visits, the notebooks, the PDF.

    python scripts/bench_tests.py [--runs N] [-- PYTEST_ARGS ...]

Each run takes about as long as ``make test``: three runs take half an hour.
Machines are noisy, and CPU-bound runs slow down with anything else running:
read the median, and compare runs only on the same machine.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 720.0
#: pytest's summary line: "2747 passed in 600.23s (0:10:00)", between "=" rules
#: or (with -q, as here) without them.
SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed|error).*?) in ([\d.]+)s")
#: One line of pytest's --durations table: "234.56s setup    tests/...".
DURATION = re.compile(r"^\s*([\d.]+)s (setup|call|teardown)\s+(\S+)")


def run_suite(extra: list[str]) -> tuple[float, str, list[str]]:
    """One run of the suite: wall seconds, pytest's summary, its slowest steps."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=8", *extra],
        cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    seconds = time.perf_counter() - start
    lines = result.stdout.splitlines()
    summary = next((m.group(1) for line in reversed(lines) if (m := SUMMARY.search(line))), "no summary")
    slowest = [f"{float(m.group(1)):7.1f} s  {m.group(2):<8} {m.group(3)}" for line in lines if (m := DURATION.match(line))]
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-2000:], sep="\n", file=sys.stderr)
    return seconds, summary, slowest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of the suite (default 3)")
    parser.add_argument("pytest_args", nargs="*", help="extra arguments for pytest (after --)")
    args = parser.parse_args(argv)
    times = []
    for run in range(max(1, args.runs)):
        seconds, summary, slowest = run_suite(args.pytest_args)
        times.append(seconds)
        print(f"run {run + 1}/{args.runs}: {seconds:.0f} s ({summary}); slowest steps:", flush=True)
        print("\n".join("  " + line for line in slowest), flush=True)
    median = statistics.median(times)
    print(f"\nmake test after set-up, median of {len(times)}: {median:.0f} s "
          f"({median / 60:.1f} min; goal {TARGET_S / 60:.0f} min on 2 cores; this machine has "
          f"{os.cpu_count()} cores) -- runs: {', '.join(f'{t:.0f} s' for t in times)}")
    return 0 if median <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
