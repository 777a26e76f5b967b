"""Build the book in every language: ``make book`` runs this.

English is built at the site's root, every other language of
:data:`LANGUAGES` (``languages:`` in ``_config.yml``) into
``<site>/<language>/`` (Korean at ``/ko/``), from the same sources, with the
messages of ``locale/<language>/LC_MESSAGES``::

    python scripts/build_book.py                      # _build/html and _build/html/ko
    python scripts/build_book.py --path-output /tmp/b # /tmp/b/_build/html ...
    python scripts/build_book.py --language ko        # Korean only (English cache)
    python scripts/build_book.py --builder gettext    # the message templates (.pot)
    python scripts/build_book.py --config fork.yml    # another configuration (a fork's, in a test)
    python scripts/build_book.py --list-languages     # the languages, e.g. "en ko"

``_config.yml`` stays the one source of settings. A translated build reads
a copy of it, derived here (:func:`derived_config`), that changes only the
language and points the execution cache at the English build's, so the
chapters' code runs once: the Korean build takes seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from convbook_translation import LANGUAGE_NAMES, book_languages  # noqa: E402  (the one reader of `languages:`)

JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
#: Strict, as ``make book``: nitpicky, warnings are errors, all reported.
STRICT = ["-n", "-W", "--keep-going"]
#: The configuration every build derives from (``--config`` changes it).
CONFIG = ROOT / "_config.yml"
#: The book's languages, ``languages:`` in ``_config.yml``; the first is the
#: source language (English), at the site root.
LANGUAGES = book_languages(CONFIG)


def use_config(path: Path) -> None:
    """Build from another configuration file than ``_config.yml`` (a fork's, in a test)."""
    global CONFIG, LANGUAGES
    CONFIG = Path(path).resolve()
    LANGUAGES = book_languages(CONFIG)


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
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
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
    # The switcher's languages (book/_ext/convbook_translation.py): this
    # derived file is not beside the sources, where the extension looks.
    settings["convbook_languages"] = list(LANGUAGES)
    settings.update(extra or {})
    return config


def _command(language: str, output: Path, builder: str = "html", flags: list[str] | None = None,
             extra: dict | None = None) -> tuple[list[str], Path]:
    """The ``jupyter-book build`` command of one language and its output folder.

    English HTML builds into ``output/_build``; another language into
    ``output/_build/<language>/_build`` and another builder into
    ``output/_build/<language>-<builder>/_build``, reading English's
    execution cache (through a derived config written here).
    """
    flags = STRICT if flags is None else flags
    builder_args = ["--builder", builder] if builder in {"html", "singlehtml", "latex", "pdfhtml", "linkcheck", "dirhtml"} \
        else ["--builder", "custom", "--custom-builder", builder]
    if language == LANGUAGES[0] and builder == "html" and not extra:
        command = [str(JUPYTER_BOOK), "build", str(ROOT), "--path-output", str(output), *builder_args, *flags]
        if CONFIG != ROOT / "_config.yml":
            # Another configuration (a fork's): a derived copy, read from
            # beside the build, with the same output folders.
            config = output / "_build" / "_config.yml"
            config.parent.mkdir(parents=True, exist_ok=True)
            derived = derived_config(language, output / "_build" / ".jupyter_cache", extra)
            config.write_text(yaml.safe_dump(derived, allow_unicode=True, sort_keys=False), encoding="utf-8")
            command[3:3] = ["--config", str(config)]
        return command, output / "_build" / builder
    # Every other build has a folder of its own (Sphinx keeps one doctree
    # folder per builder kind) and reads the English execution cache.
    work = output / "_build" / (language if builder == "html" else f"{language}-{builder}")
    work.mkdir(parents=True, exist_ok=True)
    config = work / "_config.yml"
    derived = derived_config(language, output / "_build" / ".jupyter_cache", extra)
    config.write_text(yaml.safe_dump(derived, allow_unicode=True, sort_keys=False), encoding="utf-8")
    command = [str(JUPYTER_BOOK), "build", str(ROOT), "--config", str(config), "--path-output", str(work),
               *builder_args, *flags]
    return command, work / "_build" / builder


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
    command, built = _command(language, output, builder, flags, extra)
    _run(command, quiet)
    return built


def build_site(output: Path, languages: tuple[str, ...] = LANGUAGES, quiet: bool = False) -> Path:
    """Build the HTML site: the source language at the root, the others under ``<language>/``.

    With English and other languages, the translations build *beside*
    English's Sphinx run, not after it (issue 10: Sphinx reads and writes on
    one core, and a 2-core machine has two). They start once English has
    filled the execution cache (``book/_ext/convbook_parallel_execution.py``
    touches :envvar:`CONVBOOK_CACHE_READY` then), so nothing executes twice.
    English's output is shown as it comes; each translation's after it.
    """
    site = output / "_build" / "html"
    start = time.perf_counter()
    source, others = languages[0], languages[1:]
    if tuple(languages) == LANGUAGES:
        # A language taken out of `languages:` leaves no pages behind.
        for code in LANGUAGE_NAMES:
            if code not in LANGUAGES and (site / code).is_dir():
                shutil.rmtree(site / code)
    if source != LANGUAGES[0] or not others:
        for language in languages:
            _place(language, build(language, output, quiet=quiet), site, start)
        return site
    (output / "_build").mkdir(parents=True, exist_ok=True)
    ready = output / "_build" / ".convbook-cache-ready"
    ready.unlink(missing_ok=True)
    english_command, english_built = _command(source, output, "html")
    if not quiet:
        print("+", " ".join(english_command), flush=True)
    english = subprocess.Popen(english_command, cwd=ROOT, stdout=subprocess.DEVNULL if quiet else None,
                               env=dict(os.environ, CONVBOOK_CACHE_READY=str(ready)))
    while english.poll() is None and not ready.exists():
        time.sleep(0.2)
    translations = []
    if english.returncode is None or english.returncode == 0:
        for language in others:
            command, built = _command(language, output, "html")
            log = tempfile.TemporaryFile(mode="w+")
            translations.append((language, command, built, log, subprocess.Popen(
                command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True)))
    english.wait()
    failed = [] if english.returncode == 0 else [f"exit {english.returncode}: {' '.join(english_command)}"]
    if not failed:
        _place(source, english_built, site, start)
    for language, command, built, log, process in translations:
        process.wait()
        log.seek(0)
        text = log.read()
        log.close()
        if not quiet:
            print("+", " ".join(command), flush=True)
            print(text, end="", flush=True)
        elif process.returncode != 0:
            print(text[-6000:], end="", file=sys.stderr, flush=True)
        if process.returncode != 0:
            failed.append(f"exit {process.returncode}: {' '.join(command)}")
        elif not failed:
            _place(language, built, site, start)
    ready.unlink(missing_ok=True)
    if failed:
        raise SystemExit("build failed (" + "; ".join(failed) + ")")
    return site


def _place(language: str, built: Path, site: Path, start: float) -> None:
    """Put a translation's pages (built in ``built``) under ``<site>/<language>/``; report the time so far."""
    if language != LANGUAGES[0]:
        target = site / language
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(built, target)
    print(f"[convbook] {language}: built {time.perf_counter() - start:.1f} s after the start -> "
          f"{site if language == LANGUAGES[0] else site / language}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path-output", type=Path, default=ROOT, help="folder to build into (default: the repository)")
    parser.add_argument("--config", type=Path, help="the configuration (default: _config.yml)")
    parser.add_argument("--language", default="all", help=f"all (default) or one of `languages:` ({' '.join(LANGUAGES)})")
    parser.add_argument("--builder", default="html", help="html (default), gettext, singlehtml, ...")
    parser.add_argument("--quiet", action="store_true", help="print only the summary lines")
    parser.add_argument("--list-languages", action="store_true", help="print the book's languages and stop")
    args = parser.parse_args(argv)
    if args.config:
        use_config(args.config)
    if args.list_languages:
        print(" ".join(LANGUAGES))
        return 0
    if args.language not in ("all", *LANGUAGES):
        parser.error(f"--language {args.language}: not one of the book's languages ({' '.join(LANGUAGES)}); "
                     "they are `languages:` in _config.yml")
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
