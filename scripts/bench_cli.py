"""Time ``python -m convbook`` end to end on a 12-megapixel photo.

Makes a 4000 x 3000 JPEG from the sample photo (upscaled, with a little
noise so it compresses like a real photo), runs the command line on it
several times in a fresh interpreter each time, and prints the median wall
time against the 3 s target. A benchmark, not a test: timings depend on the
machine and its load.

Usage: python scripts/bench_cli.py [--runs N] [--filters SET]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from convbook import sample_image_path

TARGET_SECONDS = 3.0


def make_photo(path: Path, width: int = 4000, height: int = 3000) -> None:
    """Write a ``width x height`` JPEG made from the sample photo."""
    small = cv2.imread(str(sample_image_path()))
    big = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    noise = np.random.default_rng(0).normal(0, 4, big.shape)
    big = np.clip(big + noise, 0, 255).astype(np.uint8)
    cv2.imwrite(str(path), big, [cv2.IMWRITE_JPEG_QUALITY, 90])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--filters", default="lesson")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "photo_12mp.jpg"
        make_photo(photo)
        megapixels = cv2.imread(str(photo), cv2.IMREAD_REDUCED_GRAYSCALE_2).size * 4 / 1e6
        print(f"photo: {photo.name}, {megapixels:.1f} MP, {photo.stat().st_size / 1e6:.1f} MB")
        times, cpu_times = [], []
        for run in range(args.runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "convbook", str(photo), "--filters", args.filters,
                 "--out", str(Path(tmp) / "out")],
                capture_output=True, text=True,
            )
            times.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            if result.returncode != 0:
                print(result.stderr, file=sys.stderr)
                return 1
            print(f"run {run + 1}: {times[-1]:.2f} s wall, {cpu_times[-1]:.2f} s CPU")
    median = statistics.median(times)
    verdict = "within" if median <= TARGET_SECONDS else "OVER"
    print(f"load average before the runs: {load:.1f} on {os.cpu_count()} CPUs "
          "(other work on the machine slows the wall time)")
    print(f"median CPU time (user + system): {statistics.median(cpu_times):.2f} s")
    print(f"median of {len(times)} runs: {median:.2f} s wall ({verdict} the "
          f"{TARGET_SECONDS:.0f} s target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
