"""Build-time benchmark for the book (``make bench``).

Prints the median of several runs of:

1. a clean build with fresh execution (new output folder, empty cache); the
   build executes the chapters several at a time
   (``book/_ext/convbook_parallel_execution.py``); then the same for the
   whole site, English and Korean, as ``make book`` builds it (the Korean
   Sphinx run beside the English one, from the same execution cache);
2. a rebuild with nothing changed (same folder, warm cache);
3. executing every chapter's code alone, one after another, without Sphinx:
   the serial sum that the parallel clean build is compared with, as a
   ratio (goal: at most 0.6), and the slowest chapter (goal: at most 10 s);
4. the PDF (``scripts/build_pdf.py``, without the zip) with the execution
   cache filled, the first time and again, and its page count and size
   (goals: 30 s, 10 MB);
5. the Korean edition built from scratch from English's execution cache
   (``scripts/build_book.py --language ko``: no code runs);
6. an author's rebuild after editing one chapter's prose (goal: 5 s), and
   after editing one of its code cells (goal: that chapter's execution time
   plus 5 s). The edit is made to ``book/filters.md`` and always undone.

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
TARGET_PDF_S = 30.0
TARGET_PDF_MB = 10.0
TARGET_EDIT_S = 5.0
#: The chapter the edit-and-rebuild timings edit (and restore).
EDITED_CHAPTER = ROOT / "book" / "filters.md"


def build(output: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(JUPYTER_BOOK), "build", str(ROOT), "--path-output", str(output),
         "-n", "-W", "--keep-going", "-q"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def build_site(output: Path) -> float:
    """``scripts/build_book.py`` (what ``make book`` runs): both languages, seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_book.py"), "--path-output", str(output), "--quiet"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def build_pdf(output: Path, language: str = "en") -> float:
    """``scripts/build_pdf.py`` on a built folder (its cache filled): seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_pdf.py"), "--path-output", str(output), "--no-zip",
                    "--language", language], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def pdf_only(runs: int) -> None:
    """``--pdf``: only the PDFs, each language, on the repository's own build
    (``make book`` first: the execution cache filled, the single page built once)."""
    results = {}
    for language in ("en", "ko"):
        print(f"PDF ({language}), execution cache filled:", flush=True)
        results[language] = median_of(runs, f"PDF ({language})", lambda: build_pdf(ROOT, language))
    print(f"\n{'measure':<34}{'median':>10}{'goal':>9}")
    for language, seconds in results.items():
        print(f"{'PDF (' + language + '), cache filled':<34}{seconds:>9.1f}s{TARGET_PDF_S:>9.0f}s")


def build_korean(output: Path) -> float:
    """The Korean edition from scratch, reading ``output``'s English execution cache."""
    import shutil

    shutil.rmtree(output / "_build" / "ko", ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_book.py"), "--path-output", str(output),
                    "--language", "ko", "--quiet"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def edit_and_rebuild(output: Path, edit, run: int) -> float:
    """Apply ``edit`` to the chapter's text, rebuild English in ``output``; undo it afterwards."""
    original = EDITED_CHAPTER.read_text(encoding="utf-8")
    try:
        EDITED_CHAPTER.write_text(edit(original, run), encoding="utf-8")
        return build(output)
    finally:
        EDITED_CHAPTER.write_text(original, encoding="utf-8")


def edit_prose(text: str, run: int) -> str:
    """One more sentence at the end of the chapter's first paragraph."""
    anchor = "then hands the same filters to PyTorch's layer."
    assert anchor in text, "bench: the edited sentence is no longer in book/filters.md"
    return text.replace(anchor, anchor + f" (Benchmark edit {run}.)", 1)


def edit_code(text: str, run: int) -> str:
    """A changed line in the chapter's first code cell: the chapter executes again."""
    anchor = "gray_img = load_grayscale(sample_image_path())"
    assert anchor in text, "bench: the edited code line is no longer in book/filters.md"
    return text.replace(anchor, anchor + f"  # benchmark edit {run}", 1)


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
    parser.add_argument("--pdf", action="store_true",
                        help="only the PDF of each language, on the repository's own build (after make book)")
    args = parser.parse_args()
    runs = max(3, args.runs)
    if args.pdf:
        pdf_only(runs)
        return

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clean_dirs = iter(tmp / f"clean-{i}" for i in range(runs))
        print("Clean build, fresh execution:", flush=True)
        clean = median_of(runs, "clean build", lambda: build(next(clean_dirs)))
        site_dirs = iter(tmp / f"site-{i}" for i in range(runs))
        print("Clean site build, English and Korean (make book):", flush=True)
        clean_site = median_of(runs, "clean site build", lambda: build_site(next(site_dirs)))
        print("Rebuild, nothing changed:", flush=True)
        warm = tmp / "clean-0"
        rebuild = median_of(runs, "no-change rebuild", lambda: build(warm))
        # The first PDF reads every page into its single-page build; later
        # ones find nothing changed (as `make pdf` run twice).
        print("PDF, execution cache filled:", flush=True)
        pdf_first = build_pdf(warm)
        print(f"  PDF, first: {pdf_first:.1f} s", flush=True)
        pdf_seconds = median_of(runs, "PDF again", lambda: build_pdf(warm))
        from pypdf import PdfReader

        pdf_file = warm / "_build" / "pdf" / "conv-book.pdf"
        pdf_pages, pdf_bytes = len(PdfReader(pdf_file).pages), pdf_file.stat().st_size
        # Only where `languages:` in _config.yml has Korean (scripts/build_book.py reads it).
        sys.path.insert(0, str(ROOT / "scripts"))
        from build_book import LANGUAGES

        korean = float("nan")
        if "ko" in LANGUAGES:
            print("Korean edition, English's cache filled:", flush=True)
            korean = median_of(runs, "Korean build", lambda: build_korean(warm))
        runs_prose, runs_code = iter(range(runs)), iter(range(runs))
        print("Edit one chapter's prose, rebuild:", flush=True)
        prose_edit = median_of(runs, "prose edit", lambda: edit_and_rebuild(warm, edit_prose, next(runs_prose)))
        print("Edit one code cell, rebuild:", flush=True)
        code_edit = median_of(runs, "code edit", lambda: edit_and_rebuild(warm, edit_code, next(runs_code)))
        build(warm)  # back to the unedited chapter
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
    print(f"{'clean site, en + ko (make book)':<34}{clean_site:>9.1f}s{TARGET_CLEAN_S:>9.0f}s")
    print(f"{'no-change rebuild':<34}{rebuild:>9.1f}s{TARGET_REBUILD_S:>9.0f}s")
    print(f"{'chapters executed one by one':<34}{execute:>9.1f}s{'':>10}")
    print(f"{'clean build / serial execution':<34}{clean / execute:>10.2f}{TARGET_RATIO:>10.1f}")
    slowest = sorted(((statistics.median(s), name) for name, s in CHAPTER_SECONDS.items()), reverse=True)
    print(f"{'slowest chapter (' + slowest[0][1] + ')':<34}{slowest[0][0]:>9.1f}s{TARGET_CHAPTER_S:>9.0f}s")
    print("chapters, median seconds: " + ", ".join(f"{name} {s:.1f}" for s, name in slowest))
    print(f"{'Korean edition (cache filled)':<34}{korean:>9.1f}s{'':>10}")
    chapter = statistics.median(CHAPTER_SECONDS[EDITED_CHAPTER.stem])
    print(f"{'prose edit, rebuild':<34}{prose_edit:>9.1f}s{TARGET_EDIT_S:>9.0f}s")
    print(f"{'code edit, rebuild':<34}{code_edit:>9.1f}s{chapter + TARGET_EDIT_S:>9.1f}s"
          f"  ({EDITED_CHAPTER.stem} executes in {chapter:.1f} s)")
    print(f"{'PDF, first (cache filled)':<34}{pdf_first:>9.1f}s{TARGET_PDF_S:>9.0f}s")
    print(f"{'PDF, again':<34}{pdf_seconds:>9.1f}s{TARGET_PDF_S:>9.0f}s")
    print(f"{'PDF size, ' + str(pdf_pages) + ' pages':<34}{pdf_bytes / 1e6:>8.1f}MB{TARGET_PDF_MB:>8.0f}MB")
    print(f"figures identical in all {runs} clean builds: "
          f"{'yes' if len(figure_sets) == 1 else 'NO'}")


if __name__ == "__main__":
    main()
