"""Build-time benchmark for the book (``make bench``).

Prints the median of several runs of:

1. a clean build with fresh execution (new output folder, empty cache); the
   build executes the chapters several at a time
   (``book/_ext/convbook_parallel_execution.py``);
2. a rebuild with nothing changed (same folder, warm cache);
3. executing every chapter's code alone, one after another, without Sphinx:
   the serial sum that the parallel clean build is compared with, as a
   ratio (goal: at most 0.6), and the slowest chapter (goal: at most 10 s).

Machines are noisy: read the medians and the ratio, not single numbers.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sphinx_external_toc.parsing import parse_toc_yaml

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
TARGET_CLEAN_S = 90.0
TARGET_REBUILD_S = 5.0
TARGET_RATIO = 0.6
TARGET_CHAPTER_S = 10.0


def build(output: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(JUPYTER_BOOK), "build", str(ROOT), "--path-output", str(output),
         "-n", "-W", "--keep-going", "-q"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def toc_files() -> list[Path]:
    """Every chapter in ``_toc.yml``, parsed as the build parses it."""
    return [ROOT / f"{name}.md" for name in parse_toc_yaml(ROOT / "_toc.yml").keys()]


#: The latest run's seconds per chapter, from :func:`execute_chapters`.
CHAPTER_SECONDS: dict[str, list[float]] = {}


def execute_chapters() -> float:
    """Run every chapter's code cells in a fresh kernel, without Sphinx, one after another."""
    from run_chapter import run_chapter  # scripts/run_chapter.py, beside this file

    start = time.perf_counter()
    for path in toc_files():
        chapter_start = time.perf_counter()
        # Cells tagged raises-exception may fail; any other error stops the benchmark.
        if run_chapter(path):
            CHAPTER_SECONDS.setdefault(path.stem, []).append(time.perf_counter() - chapter_start)
    return time.perf_counter() - start


def median_of(runs: int, label: str, fn) -> float:
    times = []
    for i in range(runs):
        seconds = fn()
        times.append(seconds)
        print(f"  {label}, run {i + 1}/{runs}: {seconds:.1f} s", flush=True)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3)")
    args = parser.parse_args()
    runs = max(3, args.runs)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clean_dirs = iter(tmp / f"clean-{i}" for i in range(runs))
        print("Clean build, fresh execution:", flush=True)
        clean = median_of(runs, "clean build", lambda: build(next(clean_dirs)))
        print("Rebuild, nothing changed:", flush=True)
        warm = tmp / "clean-0"
        rebuild = median_of(runs, "no-change rebuild", lambda: build(warm))
        # Figures are saved under their content hash: equal names, equal bytes.
        figure_sets = {
            frozenset(p.name for p in (tmp / f"clean-{i}/_build/html/_images").glob("*"))
            for i in range(runs)
        }
    print("Chapters' code alone (fresh kernel per chapter):", flush=True)
    execute = median_of(runs, "execution", execute_chapters)

    print()
    print(f"{'measurement':<34}{'median':>10}{'target':>10}")
    print(f"{'clean build (fresh execution)':<34}{clean:>9.1f}s{TARGET_CLEAN_S:>9.0f}s")
    print(f"{'no-change rebuild':<34}{rebuild:>9.1f}s{TARGET_REBUILD_S:>9.0f}s")
    print(f"{'chapters executed one by one':<34}{execute:>9.1f}s{'':>10}")
    print(f"{'clean build / serial execution':<34}{clean / execute:>10.2f}{TARGET_RATIO:>10.1f}")
    slowest = sorted(((statistics.median(s), name) for name, s in CHAPTER_SECONDS.items()), reverse=True)
    print(f"{'slowest chapter (' + slowest[0][1] + ')':<34}{slowest[0][0]:>9.1f}s{TARGET_CHAPTER_S:>9.0f}s")
    print("chapters, median seconds: " + ", ".join(f"{name} {s:.1f}" for s, name in slowest))
    print(f"figures identical in all {runs} clean builds: "
          f"{'yes' if len(figure_sets) == 1 else 'NO'}")


if __name__ == "__main__":
    main()
