#!/usr/bin/env python3
"""Lighthouse scores for every page of the table of contents (`make lighthouse`).

Serves the built site on 127.0.0.1 under ``/conv-book/``, text gzip-compressed
as GitHub Pages serves it, and runs Lighthouse (npm, installed in
``tools/lighthouse/`` by ``make lighthouse``) with Debian's Chromium on each
page of every language (English, then ``ko/...``), twice over (issue 10):

* **mobile**: Lighthouse's default settings (a mid-range phone on a slow 4G
  connection, simulated), :data:`MOBILE_RUNS` runs per page; the table shows
  each category's median and the median run's metrics;
* **desktop**: the desktop preset, one run per page.

Writes the table to ``_build/lighthouse/scores.md`` (each run's JSON report
beside it), prints it, and exits 1 when a page scores below the targets:
performance at least 90 (the mobile median; desktop too), accessibility, best
practices and SEO 100.

    python scripts/lighthouse.py [--runs N] [--form-factor mobile|desktop|both] [--out DIR] [SITE_HTML_DIR [PAGE ...]]

(default: 3 mobile runs, both form factors, _build/html, every page of every
language; a page is named as in the table of contents, ``ko/`` before it for
the Korean edition: ``ko/book/images``).
Lighthouse's performance score depends on the machine's speed: its
simulation scales the CPU time it measures, so a busy machine scores lower.
The table gives Lighthouse's CPU benchmark index of each page's runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / "lighthouse" / "cli" / "index.js"
OUT = ROOT / "_build" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 90, "accessibility": 100, "best-practices": 100, "seo": 100}
#: Runs per page on mobile; the table shows the median.
MOBILE_RUNS = 3
#: The metrics shown beside the mobile scores: audit id, column name.
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
    "speed-index": "SI",
}


def run_lighthouse(url: str, report: Path, chromium: str, flags: list[str], form_factor: str) -> dict:
    """One Lighthouse run; its report (the JSON "LHR")."""
    command = [
        "node", str(LIGHTHOUSE), url,
        *(["--preset=desktop"] if form_factor == "desktop" else []),
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json", f"--output-path={report}",
        "--chrome-flags=" + " ".join(flags),
        "--quiet",
    ]
    env = dict(os.environ, CHROME_PATH=chromium)
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0 or not report.is_file():
        raise RuntimeError(f"lighthouse failed on {url} (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(report.read_text())


def scores(lhr: dict) -> dict[str, int]:
    return {c: round(100 * (lhr["categories"][c]["score"] or 0)) for c in CATEGORIES}


def failing_audits(lhr: dict, category: str) -> list[str]:
    """The audits that cost a category points, for the table's notes."""
    names = []
    for ref in lhr["categories"][category]["auditRefs"]:
        audit = lhr["audits"].get(ref["id"], {})
        if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
            names.append(f"{ref['id']} ({audit['score']:.2f})")
    return names


def metric(lhr: dict, audit: str) -> str:
    value = lhr["audits"][audit].get("numericValue")
    if value is None:
        return "?"
    if audit == "cumulative-layout-shift":
        return f"{value:.3f}"
    if audit == "total-blocking-time":
        return f"{value:.0f} ms"
    return f"{value / 1000:.1f} s"


def median_run(runs: list[dict]) -> tuple[dict[str, int], dict]:
    """Each category's median over the runs, and the run whose performance is the median."""
    medians = {c: round(statistics.median(scores(lhr)[c] for lhr in runs)) for c in CATEGORIES}
    ordered = sorted(runs, key=lambda lhr: scores(lhr)["performance"])
    return medians, ordered[(len(ordered) - 1) // 2]


def every_page() -> list[str]:
    """Every page of the table of contents in every language of the book."""
    from site_tools import toc_pages

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from convbook_translation import book_languages

    english, *others = book_languages(ROOT / "_config.yml")
    pages = list(toc_pages())
    return pages + [f"{language}/{page}" for language in others for page in pages]


def main(argv: list[str]) -> int:
    from site_tools import CHROMIUM, CHROMIUM_ARGS, page_slug, serve_site

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("pages", nargs="*", help="pages of the table of contents (default: all)")
    parser.add_argument("--runs", type=int, default=MOBILE_RUNS, help=f"mobile runs per page (default {MOBILE_RUNS})")
    parser.add_argument("--form-factor", choices=("mobile", "desktop", "both"), default="both")
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder for the reports and scores.md (default {OUT})")
    args = parser.parse_args(argv)
    site = args.site.resolve()
    if not (site / "index.html").is_file():
        print(f"no built site at {site}: run `make book` first", file=sys.stderr)
        return 2
    if not LIGHTHOUSE.is_file():
        print(f"{LIGHTHOUSE} is missing: run `make lighthouse` (it installs tools/lighthouse)", file=sys.stderr)
        return 2
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    # Lighthouse starts Chromium itself; --headless=new is what it expects.
    flags = ["--headless=new" if flag == "--headless" else flag for flag in CHROMIUM_ARGS]
    form_factors = ("mobile", "desktop") if args.form_factor == "both" else (args.form_factor,)
    results: dict[str, dict[str, tuple[dict, dict, list[int]]]] = {}
    notes, ok = [], True
    with serve_site(site, compress=True) as base_url:
        for page in args.pages or every_page():
            url = f"{base_url}{page}.html"
            results[page] = {}
            for form_factor in form_factors:
                count = args.runs if form_factor == "mobile" else 1
                runs = [run_lighthouse(url, out / f"{page_slug(page)}-{form_factor}-{run + 1}.json",
                                       CHROMIUM, flags, form_factor) for run in range(count)]
                medians, middle = median_run(runs)
                cpu = [round(lhr["environment"].get("benchmarkIndex", 0)) for lhr in runs]
                results[page][form_factor] = (medians, middle, cpu)
                print(f"{page} {form_factor}: {medians} (runs: {[scores(lhr)['performance'] for lhr in runs]})",
                      file=sys.stderr, flush=True)
                for category, target in TARGETS.items():
                    if medians[category] < target:
                        ok = False
                        notes.append(f"- {page} ({form_factor}): {category} {medians[category]} < {target}: "
                                     + ", ".join(failing_audits(middle, category)))
    version = json.loads((LIGHTHOUSE.parents[1] / "package.json").read_text())["version"]
    lines = [f"Lighthouse {version}, Chromium at {CHROMIUM}; site served gzip-compressed under /conv-book/.", ""]
    if "mobile" in form_factors:
        lines += [
            f"Mobile (Lighthouse's default settings): median of {args.runs} run(s) per page; the metrics are "
            "those of the median run; CPU: Lighthouse's benchmark index of each run (higher is a faster machine).",
            "",
            "| page | performance | accessibility | best practices | SEO | "
            + " | ".join(METRICS.values()) + " | CPU |",
            "| --- | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in METRICS) + " | ---: |",
        ]
        for page, by_form in results.items():
            medians, middle, cpu = by_form["mobile"]
            lines.append(f"| {page} | " + " | ".join(str(medians[c]) for c in CATEGORIES) + " | "
                         + " | ".join(metric(middle, audit) for audit in METRICS) + " | "
                         + ", ".join(map(str, cpu)) + " |")
        lines.append("")
    if "desktop" in form_factors:
        lines += [
            "Desktop (the desktop preset), one run per page:",
            "",
            "| page | performance | accessibility | best practices | SEO |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for page, by_form in results.items():
            medians = by_form["desktop"][0]
            lines.append(f"| {page} | " + " | ".join(str(medians[c]) for c in CATEGORIES) + " |")
    if notes:
        lines += ["", "Below target:", *notes]
    table = "\n".join(lines) + "\n"
    (out / "scores.md").write_text(table)
    print(table)
    print(f"(written to {out / 'scores.md'})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
