"""Build the book in every language: ``make book`` runs this.

English is built at the site's root, every other language of
:data:`LANGUAGES` into ``<site>/<language>/`` (Korean at ``/ko/``), from the
same sources, with the messages of ``locale/<language>/LC_MESSAGES``::

    python scripts/build_book.py                      # _build/html and _build/html/ko
    python scripts/build_book.py --path-output /tmp/b # /tmp/b/_build/html ...
    python scripts/build_book.py --language ko        # Korean only (English cache)
    python scripts/build_book.py --builder gettext    # the message templates (.pot)

``_config.yml`` stays the one source of settings. A translated build reads
a copy of it, derived here (:func:`derived_config`), that changes only the
language and points the execution cache at the English build's, so the
chapters' code runs once: the Korean build takes seconds.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
#: Strict, as ``make book``: nitpicky, warnings are errors, all reported.
STRICT = ["-n", "-W", "--keep-going"]
#: The book's languages; the first is the source language, at the site root.
LANGUAGES = ("en", "ko")


def derived_config(language: str, cache: Path, extra: dict | None = None) -> dict:
    """``_config.yml`` for one language's build, as a dictionary.

    Parameters
    ----------
    language : str
        A language code of :data:`LANGUAGES`.
    cache : pathlib.Path
        The execution cache to read (the English build's), so that nothing
        executes again.
    extra : dict, optional
        ``sphinx.config`` settings to add (a builder's own, e.g. print).
    """
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("execute", {})["cache"] = str(cache)
    sphinx = config.setdefault("sphinx", {})
    # Jupyter Book finds local extensions relative to the config file, and
    # the derived config lives in the build folder.
    sphinx["local_extensions"] = {
        name: str((ROOT / folder).resolve()) for name, folder in (sphinx.get("local_extensions") or {}).items()
    }
    settings = sphinx.setdefault("config", {})
    settings["language"] = language
    settings["locale_dirs"] = [str(ROOT / "locale")]
    settings.update(extra or {})
    return config


def _run(command: list[str], quiet: bool) -> None:
    if not quiet:
        print("+", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL if quiet else None)
    if result.returncode != 0:
        raise SystemExit(f"build failed (exit {result.returncode}): {' '.join(command)}")


def build(language: str, output: Path, builder: str = "html", flags: list[str] | None = None,
          quiet: bool = False, extra: dict | None = None) -> Path:
    """Build one language; return its output folder (``.../_build/<builder>``).

    English HTML builds into ``output/_build``; another language into
    ``output/_build/<language>/_build`` and another builder into
    ``output/_build/<language>-<builder>/_build``, reading English's
    execution cache.
    """
    flags = STRICT if flags is None else flags
    builder_args = ["--builder", builder] if builder in {"html", "singlehtml", "latex", "pdfhtml", "linkcheck", "dirhtml"} \
        else ["--builder", "custom", "--custom-builder", builder]
    if language == LANGUAGES[0] and builder == "html" and not extra:
        command = [str(JUPYTER_BOOK), "build", str(ROOT), "--path-output", str(output), *builder_args, *flags]
        _run(command, quiet)
        return output / "_build" / builder
    # Every other build has a folder of its own (Sphinx keeps one doctree
    # folder per builder kind) and reads the English execution cache.
    work = output / "_build" / (language if builder == "html" else f"{language}-{builder}")
    work.mkdir(parents=True, exist_ok=True)
    config = work / "_config.yml"
    derived = derived_config(language, output / "_build" / ".jupyter_cache", extra)
    config.write_text(yaml.safe_dump(derived, allow_unicode=True, sort_keys=False), encoding="utf-8")
    command = [str(JUPYTER_BOOK), "build", str(ROOT), "--config", str(config), "--path-output", str(work),
               *builder_args, *flags]
    _run(command, quiet)
    return work / "_build" / builder


def build_site(output: Path, languages: tuple[str, ...] = LANGUAGES, quiet: bool = False) -> Path:
    """Build the HTML site: the source language at the root, the others under ``<language>/``."""
    site = output / "_build" / "html"
    for language in languages:
        start = time.perf_counter()
        built = build(language, output, quiet=quiet)
        if language != LANGUAGES[0]:
            target = site / language
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(built, target)
        print(f"[convbook] {language}: built in {time.perf_counter() - start:.1f} s -> "
              f"{site if language == LANGUAGES[0] else site / language}", flush=True)
    return site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path-output", type=Path, default=ROOT, help="folder to build into (default: the repository)")
    parser.add_argument("--language", choices=("all", *LANGUAGES), default="all")
    parser.add_argument("--builder", default="html", help="html (default), gettext, singlehtml, ...")
    parser.add_argument("--quiet", action="store_true", help="print only the summary lines")
    args = parser.parse_args(argv)
    output = args.path_output.resolve()
    languages = LANGUAGES if args.language == "all" else (args.language,)
    if args.builder == "html":
        if languages[0] != LANGUAGES[0] and not (output / "_build" / ".jupyter_cache").exists():
            print(f"note: no English execution cache in {output / '_build'}; the chapters execute now.")
        build_site(output, languages, quiet=args.quiet)
    else:
        for language in languages:
            build(language, output, builder=args.builder, quiet=args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
