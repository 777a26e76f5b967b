"""Sphinx extension: the book in more than one language (issue 12).

Loaded through ``sphinx.local_extensions`` in ``_config.yml``. Every
language is built from the same sources; ``scripts/build_book.py`` builds
English at the site's root and each translation under ``/<language>/``,
with ``language`` set and the English execution cache, so code runs once.
The messages live in ``locale/<language>/LC_MESSAGES/<page>.po``
(``make translations`` refreshes them, ``scripts/translations.py``).

What it does in a translated build:

* **Catalogs compiled here**, not by Sphinx: ``.mo`` files are build
  outputs, written next to their ``.po`` (ignored by git). While compiling,
  every ``{glue:text}`key``` of a translation becomes a reference to the
  page's own glue key (``{glue:text}`/book/page.md::key```): Sphinx parses
  a translated paragraph on its own, where a page-local glue key resolves to
  nothing; a reference is resolved later from the page's stored glue data.
* **What Sphinx's translation step cannot see**: the meta description
  (added by MyST after that step) and the table of contents' part captions
  (added by ``sphinx-external-toc``), looked up in the page's catalog.
* **The themes' and sphinx-exercise's missing or awkward strings** from the
  hand-written ``theme.po``, and the book's title and author; also
  sphinx-copybutton's "Copy" / "Copied!" and sphinx-togglebutton's label,
  written into their scripts.
* **A language switcher** on every page (``book/_templates/language-switcher.html``),
  linking each page to the same page in the other language, with
  ``lang`` and ``hreflang``; and ``<link rel="alternate" hreflang>`` in the
  head, for search engines.
* **The site's address** of a translation is the English one plus
  ``<language>/``.
"""

from __future__ import annotations

import gettext
import json
import os
import re
import tempfile
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx import locale as sphinx_locale
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: The language the sources are written in; it is built at the site root.
SOURCE_LANGUAGE = "en"
#: The name of each language the book may be built in, in that language.
#: Which of them the book *is* built in is ``languages:`` in ``_config.yml``
#: (:func:`book_languages`); a new language needs its name here.
LANGUAGE_NAMES = {"en": "English", "ko": "한국어"}

#: The hand-written catalog of the themes' strings (``theme.po``), and the
#: message domains the themes look their strings up in.
THEME_CATALOG = "theme"
THEME_DOMAINS = ("sphinx", "booktheme")
BOOK_THEME_DOMAIN = "booktheme"
EXERCISE_DOMAIN = "exercise"

#: Each page catalog's lookup, by its .mo file and modification time.
_TRANSLATORS: dict = {}

# {glue:text}`key` or {glue:text}`key:.2f` (a key of this page, no "::").
GLUE_ROLE = re.compile(r"\{glue(?P<kind>:[a-z]+)?\}`(?P<content>[^`:]+(?::[^`]*)?)`")


def own_page_glue(text: str, document: str) -> str:
    """Turn a translation's page-local glue roles into references to ``document``.

    >>> own_page_glue("the {glue:text}`n` values, {glue:text}`m:.2f`", "/book/a.md")
    'the {glue:text}`/book/a.md::n:s` values, {glue:text}`/book/a.md::m:.2f`'
    """

    def replace(match: re.Match) -> str:
        content = match["content"]
        if "::" in content:
            return match[0]
        key, _, spec = content.partition(":")
        # myst-nb reads "doc::key:spec" from the right, so a bare key needs
        # its (default) format spelled out.
        return f"{{glue{match['kind'] or ''}}}`{document}::{key}:{spec or 's'}`"

    return GLUE_ROLE.sub(replace, text)


def book_languages(config: Path | dict) -> tuple[str, ...]:
    """The book's languages, ``languages:`` of ``_config.yml``: English first.

    The one place a fork turns a translation on or off. Without the key the
    book is English only.

    Parameters
    ----------
    config : pathlib.Path or dict
        The Jupyter Book configuration file, or its content.

    >>> book_languages({"languages": ["en", "ko"]})
    ('en', 'ko')
    >>> book_languages({})
    ('en',)
    """
    if not isinstance(config, dict):
        import yaml

        config = yaml.safe_load(Path(config).read_text(encoding="utf-8")) or {}
    languages = config.get("languages") or [SOURCE_LANGUAGE]
    if isinstance(languages, str):
        languages = [languages]
    languages = tuple(str(code) for code in languages)
    if languages[0] != SOURCE_LANGUAGE:
        raise ValueError(f"_config.yml: `languages:` must start with {SOURCE_LANGUAGE!r}, the sources' language "
                         f"(built at the site's root), not {languages!r}")
    unknown = [code for code in languages if code not in LANGUAGE_NAMES]
    if unknown or len(set(languages)) != len(languages):
        raise ValueError(f"_config.yml: `languages:` {list(languages)!r}: each code once, and each one of "
                         f"{sorted(LANGUAGE_NAMES)} (a new language needs its name in LANGUAGE_NAMES, "
                         "book/_ext/convbook_translation.py)")
    return languages


def configured_languages(app) -> tuple[str, ...]:
    """This build's languages: ``convbook_languages`` when a script set it, else ``_config.yml``'s.

    ``scripts/build_book.py`` writes ``convbook_languages`` into the
    configurations it derives; a plain ``jupyter-book build .`` reads
    ``languages:`` from the ``_config.yml`` beside the sources.
    """
    if app.config.convbook_languages:
        return book_languages({"languages": list(app.config.convbook_languages)})
    config = Path(app.confdir) / "_config.yml"
    return book_languages(config) if config.exists() else (SOURCE_LANGUAGE,)


def record_languages(app, config) -> None:
    """Keep the languages in the configuration Sphinx compares between builds.

    ``convbook_languages`` is of rebuild kind ``env``: once it holds the
    list, a change of ``languages:`` makes the next build read and write
    every page again (the switcher is on every page).
    """
    if not config.convbook_languages:
        config.convbook_languages = list(configured_languages(app))


def _catalog_folder(app) -> Path | None:
    for folder in app.config.locale_dirs:
        path = Path(app.srcdir, folder) / app.config.language / "LC_MESSAGES"
        if path.is_dir():
            return path
    return None


def _write_atomically(path: Path, data: bytes) -> None:
    if path.exists() and path.read_bytes() == data:
        return
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.replace(temporary, path)


def compile_catalogs(app, config) -> None:
    """Compile every page's ``.po`` into ``.mo``, glue roles made page references."""
    if config.language == SOURCE_LANGUAGE:
        return
    import polib

    config.gettext_auto_build = False  # compiled here, with the glue rewrite
    folder = _catalog_folder(app)
    if folder is None:
        raise RuntimeError(f"no message catalogs for language {config.language!r} in {config.locale_dirs}")
    pending = {}
    for po_path in sorted(folder.rglob("*.po")):
        domain = po_path.relative_to(folder).with_suffix("").as_posix()
        if domain == THEME_CATALOG:
            _register_theme_catalog(app, config, po_path)
            continue
        catalog = polib.pofile(str(po_path))
        # Untranslated and fuzzy messages are left out of the .mo, so the
        # page shows their English; noted once at the end of the build.
        left = sum(1 for entry in catalog if entry.msgid and not entry.obsolete
                   and (not entry.msgstr or "fuzzy" in entry.flags))
        if left:
            pending[domain] = left
        sources = [Path(app.srcdir, domain + suffix) for suffix in (".md", ".ipynb")]
        source = next((path for path in sources if path.exists()), None)
        if source is not None:
            document = "/" + source.relative_to(app.srcdir).as_posix()
            for entry in catalog:
                if entry.msgstr:
                    entry.msgstr = own_page_glue(entry.msgstr, document)
        with tempfile.TemporaryDirectory() as scratch:
            compiled = Path(scratch) / "catalog.mo"
            catalog.save_as_mofile(str(compiled))
            _write_atomically(po_path.with_suffix(".mo"), compiled.read_bytes())
    app._convbook_untranslated = pending


def note_untranslated(app, exception) -> None:
    """One line at the end of a translated build: what shows in English, and the command that helps.

    A new chapter has no catalog until ``make translations`` creates it, and
    an edited paragraph's translation is fuzzy until a translator updates
    it: the book still builds, those texts in English (``make test`` fails
    on them, ``tests/test_translations.py``).
    """
    if exception is not None or app.config.language == SOURCE_LANGUAGE:
        return
    folder = _catalog_folder(app)
    without = sorted(docname for docname in app.env.found_docs
                     if folder is None or not (folder / f"{docname}.po").exists())
    pending = getattr(app, "_convbook_untranslated", {})
    if not without and not pending:
        return
    parts = []
    if without:
        parts.append(f"{len(without)} page(s) without a catalog ({', '.join(without[:3])}{', ...' if len(without) > 3 else ''})")
    if pending:
        parts.append(f"{sum(pending.values())} message(s) untranslated or fuzzy in {len(pending)} page(s)")
    logger.info(f"[convbook] note: {app.config.language}: {' and '.join(parts)} show in English; "
                "run `make translations`, then translate them")


def _register_theme_catalog(app, config, po_path: Path) -> None:
    """The themes' missing strings (``theme.po``), for both of their domains.

    Registered as a fallback: a string the themes translate keeps theirs.
    The book's title is translated here too, from the same catalog.
    """
    import polib

    catalog = polib.pofile(str(po_path))
    folder = Path(app.doctreedir).parent / "convbook-theme-locale"
    messages = folder / config.language / "LC_MESSAGES"
    messages.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        compiled = Path(scratch) / "catalog.mo"
        catalog.save_as_mofile(str(compiled))
        for domain in THEME_DOMAINS:
            _write_atomically(messages / f"{domain}.mo", compiled.read_bytes())
    for domain in THEME_DOMAINS:
        app.add_message_catalog(domain, str(folder))
    # sphinx-book-theme's own Korean has flaws ("전체 화면으로보기"): for its
    # domain, ours comes first (its strings ours also has read the same).
    _put_ours_first(BOOK_THEME_DOMAIN, folder, config.language)
    # sphinx-exercise labels a solution "Solution to" + "Exercise 1.1", which
    # its own Korean makes "해답 연습 1.1"; ours comes first for its domain.
    _write_atomically(messages / f"{EXERCISE_DOMAIN}.mo", (messages / f"{THEME_DOMAINS[0]}.mo").read_bytes())
    _put_ours_first(EXERCISE_DOMAIN, folder, config.language)
    titles = {entry.msgid: entry.msgstr for entry in catalog if entry.msgstr}
    if config.html_title in titles:
        config.html_title = titles[config.html_title]
    if config.project in titles:
        config.project = titles[config.project]
    if config.author in titles:  # the footer's "지은이: ..." and the PDF's author
        config.author = titles[config.author]
    # Jupyter Book's placeholder of the search field, a theme option.
    options = dict(config.html_theme_options or {})
    if options.get("search_bar_text") in titles:
        options["search_bar_text"] = titles[options["search_bar_text"]]
        config.html_theme_options = options


def _put_ours_first(domain: str, folder: Path, language: str) -> None:
    """Look ``domain``'s messages up in ``theme.po`` first, then in the package's own catalog."""
    ours = gettext.translation(domain, localedir=str(folder), languages=[language])
    theirs = sphinx_locale.translators.get(("general", domain))
    if theirs is not None and type(theirs) is not gettext.NullTranslations:
        ours.add_fallback(theirs)
    sphinx_locale.translators[("general", domain)] = ours


def _translator(app, docname: str):
    """The gettext lookup of one page's catalog (identity where there is none)."""
    folder = _catalog_folder(app)
    mo = folder / f"{docname}.mo" if folder else None
    if mo is None or not mo.exists():
        return str
    key = (str(mo), mo.stat().st_mtime_ns)
    if key not in _TRANSLATORS:
        with mo.open("rb") as stream:
            _TRANSLATORS[key] = gettext.GNUTranslations(stream).gettext
    return _TRANSLATORS[key]


def detach_translated_nodes(app, doctree) -> None:
    """Point every node of a translated page at the page itself.

    Sphinx parses each translation as a small document of its own, and the
    nodes it moves into the page keep a reference to it; those documents
    chain to one another, so each stored page grew with every page read
    before it (2 MB by the last one) and unpickling them dominated the
    Korean build. Only the page's own document is kept.
    """
    if app.config.language == SOURCE_LANGUAGE:
        return
    for node in doctree.findall():
        if getattr(node, "_document", None) is not None and node._document is not doctree:
            node._document = doctree


def glossary_sort_key(term: str) -> tuple:
    """Where a translated glossary term goes: Hangul terms in 가나다 order, then the rest.

    Hangul syllables are encoded in 가나다 order (initial consonant, then
    vowel, then final consonant), so their code points sort them; terms that
    stay in Latin letters (ReLU, im2col) follow, without regard to case.

    >>> sorted(["필터 (filter)", "ReLU", "가중치 공유", "im2col", "커널"], key=glossary_sort_key)
    ['가중치 공유', '커널', '필터 (filter)', 'im2col', 'ReLU']
    """
    text = term.strip()
    hangul = bool(text) and "\uac00" <= text[0] <= "\ud7a3"
    return (0 if hangul else 1, text.casefold())


def sort_translated_glossaries(app, doctree) -> None:
    """Put a translated glossary's entries in the order of the translated terms.

    The English glossary is written in alphabetical order; Sphinx's
    ``:sorted:`` would sort the English terms, before translation. Here,
    after Sphinx has translated the page, each glossary's entries are sorted
    by their translated terms (:func:`glossary_sort_key`).
    """
    if app.config.language == SOURCE_LANGUAGE:
        return
    for glossary in doctree.findall(addnodes.glossary):
        for definitions in glossary.findall(nodes.definition_list):
            items = [child for child in definitions.children if isinstance(child, nodes.definition_list_item)]
            if len(items) != len(definitions.children):
                continue  # something other than entries inside: leave it as written
            items.sort(key=lambda item: glossary_sort_key(next(item.findall(nodes.term)).astext()))
            definitions.children = []
            definitions.extend(items)


def translate_toctree_captions(app, doctree) -> None:
    """The parts' captions, inserted by sphinx-external-toc after translation.

    Done when the page is read, so that the stored page, from which the
    theme draws every page's navigation, carries them translated.
    """
    if app.config.language == SOURCE_LANGUAGE:
        return
    translate = _translator(app, app.env.docname)
    for node in doctree.findall(addnodes.toctree):
        if node.get("caption"):
            node["caption"] = translate(node["caption"])


def translate_late_text(app, doctree, docname) -> None:
    """Translate the meta description, added by MyST after Sphinx's translation."""
    if app.config.language == SOURCE_LANGUAGE:
        return
    translate = _translator(app, docname)
    for node in doctree.findall(nodes.meta):
        if node.get("name") == "description" and node.get("content"):
            node["content"] = translate(node["content"])


def _other_language_url(app, pagename: str, language: str, context) -> str:
    """A relative link from this page to the same page in ``language``."""
    depth = pagename.count("/")
    up = "../" * depth
    current = app.config.language
    suffix = app.builder.out_suffix if hasattr(app.builder, "out_suffix") else ".html"
    if current == SOURCE_LANGUAGE:
        return f"{up}{language}/{pagename}{suffix}"
    if language == SOURCE_LANGUAGE:
        return f"{up}../{pagename}{suffix}"
    return f"{up}../{language}/{pagename}{suffix}"


def _site_root(app) -> str:
    base = app.config.html_baseurl or ""
    if app.config.language != SOURCE_LANGUAGE and base.endswith(f"/{app.config.language}/"):
        base = base[: -len(app.config.language) - 1]
    return base


def add_language_links(app, pagename, templatename, context, doctree) -> None:
    """The switcher's links and the head's ``hreflang`` alternates."""
    if app.builder.format != "html" or not getattr(app.builder, "out_suffix", None):
        return
    current = app.config.language or SOURCE_LANGUAGE
    languages = configured_languages(app)
    # English only: no switcher and no alternates (they would lead to a 404).
    others = [code for code in languages if code != current] if len(languages) > 1 else []
    context["convbook_languages"] = [
        {"code": code, "name": LANGUAGE_NAMES[code], "url": _other_language_url(app, pagename, code, context)}
        for code in others
    ]
    root = _site_root(app)
    if root and others:
        suffix = app.builder.out_suffix
        alternates = []
        for code in languages:
            prefix = "" if code == SOURCE_LANGUAGE else f"{code}/"
            alternates.append(f'<link rel="alternate" hreflang="{code}" href="{root}{prefix}{pagename}{suffix}" />')
        context["metatags"] = context.get("metatags", "") + "\n" + "\n".join(alternates)


def translation_base_url(app, config) -> None:
    """A translation lives under ``<site>/<language>/``."""
    if config.language != SOURCE_LANGUAGE and config.html_baseurl:
        suffix = f"{config.language}/"
        if not config.html_baseurl.endswith(suffix):
            config.html_baseurl = config.html_baseurl.rstrip("/") + "/" + suffix


def translate_root_page(app, exception) -> None:
    """The site root's redirect page (``book/_extra/index.html``) in the build's language.

    It is a static file, outside Sphinx's translation: its lang, title,
    description and sentence are looked up in ``theme.po``.
    """
    if exception is not None or app.config.language == SOURCE_LANGUAGE or app.builder.format != "html":
        return
    page = Path(app.outdir) / "index.html"
    folder = Path(app.doctreedir).parent / "convbook-theme-locale"
    if not page.exists() or not (folder / app.config.language / "LC_MESSAGES" / f"{THEME_DOMAINS[0]}.mo").exists():
        return
    translate = gettext.translation(THEME_DOMAINS[0], localedir=str(folder), languages=[app.config.language]).gettext
    html = page.read_text(encoding="utf-8").replace('<html lang="en">', f'<html lang="{app.config.language}">')
    for pattern in (r"<title>(.*?)</title>", r'<meta name="description" content="(.*?)">', r"<p>(.*?)</p>"):
        match = re.search(pattern, html, re.S)
        if match:
            html = html.replace(match[1], translate(match[1]))
    page.write_text(html, encoding="utf-8")


#: sphinx-copybutton's messages (its ``_static/copybutton.js``), by key: the
#: English it shows, looked up in ``theme.po``.
COPYBUTTON_MESSAGES = {"copy": "Copy", "copy_to_clipboard": "Copy to clipboard", "copy_success": "Copied!",
                       "copy_failure": "Failed to copy"}
COPYBUTTON_TABLE = "const messages = {"
#: sphinx-togglebutton's one English label, written into its buttons by its script.
TOGGLEBUTTON_LABEL = 'aria-label="{}"'
TOGGLEBUTTON_MESSAGE = "Toggle hidden content"


def _static_script(app, name: str, anchor: str) -> tuple[Path, str] | None:
    """A package's script in the translated site's ``_static``, checked to hold ``anchor``."""
    script = Path(app.outdir) / "_static" / name
    if not script.exists():
        return None
    text = script.read_text(encoding="utf-8")
    if anchor not in text:
        raise RuntimeError(f"{script}: no {anchor!r} to translate: the package changed, "
                           "update book/_ext/convbook_translation.py")
    return script, text


def translate_scripts(app, exception) -> None:
    """sphinx-copybutton's "Copy" / "Copied!" and sphinx-togglebutton's label in the build's language.

    Neither package has Korean. copybutton.js picks ``messages[<html lang>]``,
    falling back to English: the build's language is added to that table.
    togglebutton.js writes its buttons' label in English: translated in place.
    Both from ``theme.po``.
    """
    if exception is not None or app.config.language == SOURCE_LANGUAGE or app.builder.format != "html":
        return
    folder = Path(app.doctreedir).parent / "convbook-theme-locale"
    translate = gettext.translation(THEME_DOMAINS[0], localedir=str(folder), languages=[app.config.language]).gettext
    found = _static_script(app, "copybutton.js", COPYBUTTON_TABLE)
    if found:
        script, text = found
        entry = f"\n  {json.dumps(app.config.language)}: {{\n" + "".join(
            f"    {json.dumps(key)}: {json.dumps(translate(english), ensure_ascii=False)},\n"
            for key, english in COPYBUTTON_MESSAGES.items()) + "  },"
        if entry not in text:
            script.write_text(text.replace(COPYBUTTON_TABLE, COPYBUTTON_TABLE + entry, 1), encoding="utf-8")
    english = TOGGLEBUTTON_LABEL.format(TOGGLEBUTTON_MESSAGE)
    translated = TOGGLEBUTTON_LABEL.format(translate(TOGGLEBUTTON_MESSAGE))
    script = Path(app.outdir) / "_static" / "togglebutton.js"
    text = script.read_text(encoding="utf-8") if script.exists() else None
    if text is not None and translated not in text:
        found = _static_script(app, script.name, english)
        script.write_text(found[1].replace(english, translated), encoding="utf-8")


def setup(app):
    # The book's languages, set by scripts/build_book.py in the configurations
    # it derives; otherwise read from _config.yml's `languages:`.
    app.add_config_value("convbook_languages", None, "env")
    app.connect("config-inited", record_languages, priority=200)
    # Before sphinx-exercise reads its label into numfig_format (priority 500).
    app.connect("config-inited", compile_catalogs, priority=300)
    # After convbook_repository derives the English address (priority 400).
    app.connect("config-inited", translation_base_url, priority=450)
    app.connect("doctree-read", translate_toctree_captions)
    app.connect("doctree-read", detach_translated_nodes)
    app.connect("doctree-read", sort_translated_glossaries)
    app.connect("doctree-resolved", translate_late_text)
    app.connect("html-page-context", add_language_links)
    app.connect("build-finished", translate_root_page)
    app.connect("build-finished", note_untranslated)
    app.connect("build-finished", translate_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
