#!/usr/bin/env python3
"""Lighthouse scores for every page of the table of contents (`make lighthouse`).

Serves the built site on 127.0.0.1 under ``/conv-book/``, text gzip-compressed
as GitHub Pages serves it, and runs Lighthouse (npm, installed in
``tools/lighthouse/`` by ``make lighthouse``) with Debian's Chromium and the
desktop preset on each page. Writes a table of the four category scores to
``_build/lighthouse/scores.md`` (and each page's JSON report beside it), prints
it, and exits 1 when a page scores below the targets:
accessibility, best practices and SEO 100, performance at least 90.

    python scripts/lighthouse.py [SITE_HTML_DIR [PAGE ...]]   (default: _build/html, every page)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / "lighthouse" / "cli" / "index.js"
OUT = ROOT / "_build" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 90, "accessibility": 100, "best-practices": 100, "seo": 100}


def run_lighthouse(url: str, report: Path, chromium: str, flags: list[str]) -> dict:
    command = [
        "node", str(LIGHTHOUSE), url,
        "--preset=desktop",
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


def failing_audits(lhr: dict, category: str) -> list[str]:
    """The audits that cost a category points, for the table's notes."""
    names = []
    for ref in lhr["categories"][category]["auditRefs"]:
        audit = lhr["audits"].get(ref["id"], {})
        if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
            names.append(f"{ref['id']} ({audit['score']:.2f})")
    return names


def main(argv: list[str]) -> int:
    from site_tools import CHROMIUM, CHROMIUM_ARGS, page_slug, serve_site, toc_pages

    site = Path(argv[0] if argv else ROOT / "_build" / "html").resolve()
    if not (site / "index.html").is_file():
        print(f"no built site at {site}: run `make book` first", file=sys.stderr)
        return 2
    if not LIGHTHOUSE.is_file():
        print(f"{LIGHTHOUSE} is missing: run `make lighthouse` (it installs tools/lighthouse)", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    # Lighthouse starts Chromium itself; --headless=new is what it expects.
    flags = ["--headless=new" if flag == "--headless" else flag for flag in CHROMIUM_ARGS]
    rows, notes, ok = [], [], True
    with serve_site(site, compress=True) as base_url:
        for page in argv[1:] or toc_pages():
            lhr = run_lighthouse(f"{base_url}{page}.html", OUT / f"{page_slug(page)}.json", CHROMIUM, flags)
            scores = {c: round(100 * (lhr["categories"][c]["score"] or 0)) for c in CATEGORIES}
            rows.append((page, scores))
            for category, target in TARGETS.items():
                if scores[category] < target:
                    ok = False
                    notes.append(f"- {page}: {category} {scores[category]} < {target}: "
                                 + ", ".join(failing_audits(lhr, category)))
    version = json.loads((LIGHTHOUSE.parents[1] / "package.json").read_text())["version"]
    lines = [
        f"Lighthouse {version}, desktop preset, Chromium at {CHROMIUM}; site served gzip-compressed.",
        "",
        "| page | performance | accessibility | best practices | SEO |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {page} | " + " | ".join(str(s[c]) for c in CATEGORIES) + " |" for page, s in rows]
    if notes:
        lines += ["", "Below target:", *notes]
    table = "\n".join(lines) + "\n"
    (OUT / "scores.md").write_text(table)
    print(table)
    print(f"(written to {OUT / 'scores.md'})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
