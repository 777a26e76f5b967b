"""A teacher adds a chapter, edits the package or a template, and rebuilds (issue 25).

The book's sources are copied with two new pages and a table of contents of
only those (so that building takes seconds; the site's own pages are the
test run's build), then, in the background once the site is built
(``after_the_build``):

1. built in every language of ``languages:`` (``scripts/build_book.py``):
   a page without a catalog, and a catalog with untranslated and fuzzy
   messages, build, showing those texts in English, with one note naming
   ``make translations``;
2. ``scripts/translations.py update`` (``make translations``): it exits 0,
   creates the new page's catalog, reuses a translation of the same English,
   and prints a short summary per page;
3. rebuilt in English after a template edit and with an execution cache
   filled with another ``convbook`` (``book/_ext/convbook_freshness.py``):
   every page is read again and the chapter executes again.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
import shutil
import types

import polib
import pytest

from conftest import after_the_build, korean_edition, result_of_work_on_the_site
from test_chapters import exercise_problems, links_to_the_glossary
from test_translations import read_page

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import convbook_freshness  # noqa: E402

pytestmark = pytest.mark.book

LANGUAGE = "ko"


#: A chapter as an author adds it: no catalog yet.
#: Appended to the copy's book/_static/convbook.css before its last rebuild.
STYLESHEET_EDIT = "/* edited */\n"

NEW_CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Sharpen

A sharpening kernel adds to each pixel its difference from its neighbours.

```{code-cell} ipython3
print(sum([0, -1, 0, -1, 5, -1, 0, -1, 0]))
```

## Exercises

Its weights sum to one, so a flat region keeps its brightness.
"""
#: A page whose catalog is partly done: one message translated, one fuzzy, one not translated.
PARTLY_TRANSLATED = """# Blur

A blur averages each pixel with its neighbours.

Its weights sum to one as well.
"""
PARTLY_TRANSLATED_PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Language: ko\\n"

msgid "Blur"
msgstr "흐림 필터"

#, fuzzy
msgid "A blur averages each pixel with its neighbours."
msgstr "흐림 필터는 낡은 번역입니다."

msgid "Its weights sum to one as well."
msgstr ""
"""


@pytest.fixture(scope="module")
def new_chapter(site, tmp_path_factory) -> dict:
    return result_of_work_on_the_site("new_chapter", site, tmp_path_factory)


@after_the_build("new_chapter")
def build_a_new_chapter(site: Path, tmp_path_factory) -> dict:
    """A copy of the book's sources with two new pages, built in every language, then `make translations`.

    The copy's table of contents has only the new pages, so that this takes
    seconds: the site's own pages are the test run's build.
    """
    work = tmp_path_factory.mktemp("new-chapter")
    source = work / "book-source"
    for name in ("book", "locale", "scripts"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    shutil.copy2(ROOT / "_config.yml", source / "_config.yml")
    (source / "node_modules").symlink_to(ROOT / "node_modules")
    (source / "book" / "sharpen.md").write_text(NEW_CHAPTER, encoding="utf-8")
    (source / "book" / "blur.md").write_text(PARTLY_TRANSLATED, encoding="utf-8")
    (source / "_toc.yml").write_text("format: jb-book\nroot: book/sharpen\nchapters:\n  - file: book/blur\n")
    catalogs = source / "locale" / LANGUAGE / "LC_MESSAGES" / "book"
    (catalogs / "blur.po").write_text(PARTLY_TRANSLATED_PO, encoding="utf-8")
    build = subprocess.run([sys.executable, str(source / "scripts" / "build_book.py"), "--path-output", str(work)],
                           cwd=source, capture_output=True, text=True)
    update = subprocess.run([sys.executable, str(source / "scripts" / "translations.py"), "update"],
                            cwd=source, capture_output=True, text=True)
    # A template edited, and a cache filled with another convbook (as after
    # an edit of code/convbook): English again, in the same folder.
    template = source / "book" / "_templates" / "language-switcher.html"
    template.write_text(template.read_text(encoding="utf-8") + "{#- edited -#}\n", encoding="utf-8")
    stamp = work / "_build" / ".jupyter_cache" / convbook_freshness.CACHE_FINGERPRINT
    stamp_before = stamp.read_text().strip() if stamp.is_file() else None
    stamp.write_text("0" * 64 + "\n")
    rebuild = subprocess.run([sys.executable, str(source / "scripts" / "build_book.py"), "--path-output", str(work),
                              "--language", "en"], cwd=source, capture_output=True, text=True)
    # A stylesheet edited alone: Sphinx copies it only when it writes a page.
    stylesheet = source / "book" / "_static" / "convbook.css"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + STYLESHEET_EDIT, encoding="utf-8")
    restyle = subprocess.run([sys.executable, str(source / "scripts" / "build_book.py"), "--path-output", str(work),
                              "--language", "en"], cwd=source, capture_output=True, text=True)
    for name, result in (("build", build), ("update", update), ("rebuild", rebuild), ("restyle", restyle)):
        (work / f"{name}.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    return {"source": source, "site": work / "_build" / "html", "build": build, "update": update,
            "rebuild": rebuild, "restyle": restyle, "stamp_before": stamp_before, "stamp_after": stamp.read_text().strip()}


@korean_edition
def test_a_new_chapter_builds_in_every_language_in_english_until_translated(new_chapter):
    build = new_chapter["build"]
    log = build.stdout + build.stderr
    assert build.returncode == 0, "a page without a catalog failed the strict build:\n" + log[-3000:]
    site = new_chapter["site"]
    korean = (site / LANGUAGE / "book" / "sharpen.html").read_text(encoding="utf-8")
    assert f'lang="{LANGUAGE}"' in korean and "A sharpening kernel adds to each pixel" in korean
    # Untranslated and fuzzy messages show their English; a translated one its translation.
    blur = read_page(site / LANGUAGE / "book" / "blur.html")
    prose = " ".join(" ".join(blur.prose).split())
    assert "흐림 필터" in prose and "낡은 번역" not in prose, prose
    assert "A blur averages each pixel with its neighbours." in prose and "Its weights sum to one as well." in prose
    # One line says so, and names the command.
    notes = [line for line in log.splitlines() if "make translations" in line]
    assert len(notes) == 1, notes
    assert "book/sharpen" in notes[0] and "2 message(s) untranslated or fuzzy in 1 page(s)" in notes[0], notes[0]


@korean_edition
def test_make_translations_creates_the_catalog_and_says_what_to_translate(new_chapter):
    update = new_chapter["update"]
    assert update.returncode == 0, update.stdout[-3000:] + update.stderr[-3000:]
    lines = update.stdout.strip().splitlines()
    assert len(lines) <= 8, "a short summary, not every catalog:\n" + update.stdout
    catalogs = new_chapter["source"] / "locale" / LANGUAGE / "LC_MESSAGES" / "book"
    assert (catalogs / "sharpen.po").is_file()
    assert any("sharpen.po: 3 to translate (3 new)" in line for line in lines), update.stdout
    assert any("blur.po: 2 to translate (1 new, 1 changed (fuzzy))" in line for line in lines), update.stdout
    assert "5 message(s) to translate" in update.stdout
    # "Exercises" is translated on other pages: the new page reuses it.
    known = {e.msgid: e.msgstr for e in polib.pofile(str(ROOT / "locale" / LANGUAGE / "LC_MESSAGES" / "book" / "filters.po"))}
    new = {e.msgid: e for e in polib.pofile(str(catalogs / "sharpen.po"))}
    assert new["Exercises"].msgstr == known["Exercises"] and "fuzzy" not in new["Exercises"].flags
    assert not new["Sharpen"].msgstr
    # Nothing else changed: the other catalogs are the project's.
    for po in sorted((ROOT / "locale" / LANGUAGE / "LC_MESSAGES" / "book").glob("*.po")):
        assert (catalogs / po.name).read_bytes() == po.read_bytes(), f"make translations changed {po.name}"


def test_a_rebuild_notices_a_changed_template_and_package(new_chapter):
    """`make book` after an edit in book/_templates and in code/convbook: every page again, the chapter executed."""
    build, rebuild = new_chapter["build"], new_chapter["rebuild"]
    log = rebuild.stdout + rebuild.stderr
    assert rebuild.returncode == 0, log[-3000:]
    # The first build executed the chapter and recorded the package it ran with.
    assert "executing 1 notebooks" in build.stdout
    assert new_chapter["stamp_before"] == convbook_freshness.fingerprint([convbook_freshness.package_folder()])
    # The template's change: Sphinx reads (and writes) every page again.
    assert "[config changed ('convbook_build_fingerprint')] 2 added, 0 changed, 0 removed" in log, log[-3000:]
    # The cache of another convbook: emptied, and the chapter executes again.
    assert "the package convbook changed since the execution cache was filled" in log
    assert "executing 1 notebooks" in log
    assert new_chapter["stamp_after"] == new_chapter["stamp_before"]


def test_a_rebuild_copies_an_edited_stylesheet(new_chapter):
    """`make book` after an edit of book/_static alone: the site gets the new file."""
    restyle = new_chapter["restyle"]
    assert restyle.returncode == 0, (restyle.stdout + restyle.stderr)[-3000:]
    copied = (new_chapter["site"] / "_static" / "convbook.css").read_text(encoding="utf-8")
    assert copied.endswith(STYLESHEET_EDIT), "the edited stylesheet did not reach the site"


def test_a_fingerprint_follows_content_not_times(tmp_path):
    folder = tmp_path / "package"
    (folder / "__pycache__").mkdir(parents=True)
    (folder / "a.py").write_text("DEFAULT = 1\n")
    first = convbook_freshness.fingerprint([folder])
    (folder / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"compiled")
    (folder / "a.py").touch()
    assert convbook_freshness.fingerprint([folder]) == first
    (folder / "a.py").write_text("DEFAULT = 2\n")
    edited = convbook_freshness.fingerprint([folder])
    assert edited != first
    (folder / "b.py").write_text("")
    assert convbook_freshness.fingerprint([folder]) not in (first, edited)
    (folder / "b.py").unlink()
    assert convbook_freshness.fingerprint([folder]) == edited


def test_a_stale_cache_is_emptied_and_every_page_read_again(tmp_path):
    cache = tmp_path / ".jupyter_cache"
    (cache / "executed").mkdir(parents=True)
    (cache / "global.db").write_text("cached notebooks")
    env = types.SimpleNamespace(
        mystnb_config=types.SimpleNamespace(execution_mode="cache", execution_cache_path=str(cache)),
        found_docs={"book/a", "book/b", "book/c"})
    app = types.SimpleNamespace(config=types.SimpleNamespace(convbook_package_fingerprint="new"))
    (cache / convbook_freshness.CACHE_FINGERPRINT).write_text("new\n")
    docnames = ["book/a"]
    convbook_freshness.empty_a_stale_cache(app, env, docnames)
    assert (cache / "global.db").exists() and docnames == ["book/a"]  # the same package: kept
    (cache / convbook_freshness.CACHE_FINGERPRINT).write_text("old\n")
    convbook_freshness.empty_a_stale_cache(app, env, docnames)
    assert not (cache / "global.db").exists() and not (cache / "executed").exists()
    assert sorted(docnames) == ["book/a", "book/b", "book/c"]
    assert (cache / convbook_freshness.CACHE_FINGERPRINT).read_text().strip() == "new"


def test_the_chapter_rules_catch_a_planted_chapter():
    """The planted chapter has one section of exercises but no exercise, and no glossary link."""
    assert exercise_problems(NEW_CHAPTER) == ["0 exercises, expected at least 3"]
    assert not links_to_the_glossary(NEW_CHAPTER)
    one = NEW_CHAPTER + "\n```{exercise}\n:label: sharpen-sum\n\nWhy one?\n```\n\n```{solution} sharpen-sum\n\nBrightness.\n```\n"
    assert exercise_problems(one) == ["1 exercises, expected at least 3", "solution of sharpen-sum is not collapsed"]


def test_a_duplicate_exercise_label_is_reported_in_its_own_file(monkeypatch):
    """Issue 25: the warning's location is (page, line), which Sphinx turns into
    ``book/sharpen.md:12``, not sphinx-exercise's suffix-less path (``book/sharpen.rst``)."""
    import convbook_site
    from sphinx_exercise.directive import ExerciseDirective, SolutionDirective

    warnings = []
    monkeypatch.setattr(convbook_site, "LOGGER", types.SimpleNamespace(
        warning=lambda message, location=None, **kwargs: warnings.append((message, location))))
    env = types.SimpleNamespace(docname="book/sharpen", doc2path=lambda name: f"/src/{name}.md",
                                sphinx_exercise_registry={"sharpen-sum": {"docname": "book/blur"}})
    for original in (ExerciseDirective, SolutionDirective):
        directive = convbook_site._exercise_directive_naming_its_file(original)
        assert issubclass(directive, original)
        here = types.SimpleNamespace(env=env, lineno=12)
        assert directive.duplicate_labels(here, "sharpen-sum") is True
        assert not directive.duplicate_labels(here, "sharpen-other")
    assert warnings == [("duplicate label: sharpen-sum; other instance in /src/book/blur.md", ("book/sharpen", 12))] * 2
