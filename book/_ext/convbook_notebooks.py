"""Sphinx extension: a self-contained Jupyter notebook for every chapter.

After an HTML build, every page with code gets ``notebooks/<chapter>.ipynb``
in the site, and the theme's ".ipynb" download gets the same file. Each
notebook:

* carries this build's outputs, taken from the execution cache (so a cached
  rebuild gives the same notebook as a fresh one);
* reads well outside the book: glued values are replaced by their values,
  cross-references by links to the published pages, glossary terms by their
  text, citations by author and year, and directives (exercises, solutions,
  literal includes, notes) by plain Markdown; a figure's caption follows its
  cell;
* starts with one cell that installs ``convbook`` from the repository named
  in ``_config.yml`` when it is not importable (Colab has the rest), showing
  pip's progress and, when pip fails, one sentence that says what to do;
  and holds no hidden cell: the book's hidden cells only glue and assert;
* sets its deep dives apart as the page does (``convbook_deeper.py``): a
  rule above each "Going deeper" heading;
* keeps the answers out of sight: every solution, its code cells included,
  moves to a "Solutions" section at the end of the notebook, and each
  exercise and its solution link to each other (HTML anchors). A teacher
  can hand the notebook out; run top to bottom, the solutions' code runs
  last, after the whole chapter's (``tests/test_notebooks.py`` runs every
  notebook so, and checks that they print what the book printed).

In a translated build (the Korean edition, ``/ko/``), the notebook's
Markdown is the translation, from the same catalogs Sphinx translates the
page with (``locale/<language>/LC_MESSAGES/<page>.mo``): every paragraph,
heading, list item and caption of the MyST source is looked up, as the
English text Sphinx extracted, before its roles and glue are converted, so
that they are converted exactly as in English. Code cells and outputs are
the English notebook's. A text with no translation stays English and is
counted in the build's log; ``tests/test_notebooks.py`` asserts that every
translated notebook is mostly Hangul.

The Pages workflow publishes ``notebooks/`` to the repository's
``notebooks`` branch, which the Colab and Binder buttons open
(``book/_ext/convbook_repository.py``).
"""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path, PurePosixPath

import nbformat
from convbook_deeper import PREFIX as DEEPER_PREFIX
from convbook_figure_languages import localize_outputs
from convbook_listings import find_object, is_package_listing, part_of, teaching_source
from convbook_listings import summary as listing_summary
from convbook_translation import SOURCE_LANGUAGE
from sphinx.util import logging

logger = logging.getLogger(__name__)

HIDDEN_TAGS = {"remove-cell"}
#: Set this environment variable to a pip requirement (a local path, say) to
#: install convbook from somewhere else than the repository (the tests do).
INSTALL_OVERRIDE = "CONVBOOK_PIP_SOURCE"

_SUBSTITUTION = re.compile(r"\{\{\s*(?P<name>\w+)\s*\}\}")
_ROLE = re.compile(r"\{(?P<name>[\w:.-]+)\}`(?P<content>[^`]*?)`")
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:.-]+)\}(?P<arg>.*)$")
_HEADING = re.compile(r"^(#{1,6}) +(.*)$", re.M)
_TARGET = re.compile(r"^\s*\([\w:.-]+\)=\s*$")
_COMMENT = re.compile(r"^\s*%( |$)")
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
#: A letter of any script: a text without one needs no translation.
_LETTER = re.compile(r"[^\W\d_]")
#: Between two lines of a paragraph's source: its indentation or quote marks.
_BETWEEN_LINES = r"[ \t]*\n[ \t>]*"
#: The few sentences the notebooks add to the book's text, per language (the
#: book's own text comes from its catalogs; the exercises' labels from
#: sphinx-exercise's). A language missing here gets English, counted as
#: untranslated.
NOTEBOOK_TEXT = {
    "en": {
        "intro": "*This notebook is the chapter [{title}]({url}) of the book [{book}]({base}), generated with "
                 "this build's outputs. Run the first code cell to install the book's package, `convbook`, then "
                 "run the cells in order.*",
        "interactive": "*This part of the chapter is interactive: it runs on [the book's page]({url}).*",
        "solutions": "Solutions",
        "to solution": "*Its [solution](#{anchor}) is at the end of the notebook.*",
    },
    "ko": {
        "intro": "*이 노트북은 책 [{book}]({base})의 [{title}]({url}) 장이며, 이 책을 빌드할 때 실행한 출력이 "
                 "들어 있습니다. 첫 번째 코드 셀을 실행해 책의 패키지 `convbook`을 설치한 다음, 셀을 순서대로 "
                 "실행하세요.*",
        "interactive": "*이 부분은 직접 조작해 보는 대화형 화면이라 [책의 페이지]({url})에서만 실행됩니다.*",
        "solutions": "풀이",
        "to solution": "*이 문제의 [풀이](#{anchor})는 노트북 끝에 있습니다.*",
    },
}
_ADMONITIONS = {
    "note", "tip", "important", "warning", "attention", "caution", "danger", "error",
    "hint", "seealso", "admonition", "dropdown",
}


class NotebookContext:
    """What converting one page needs from the build."""

    def __init__(self, app, docname: str, glue: dict[str, str]):
        self.app = app
        self.env = app.env
        self.docname = docname
        self.glue = glue
        self.base = app.config.html_baseurl or ""
        self.labels = self.env.domaindata["std"]["labels"]
        self.fignumbers = getattr(self.env, "toc_fignumbers", {})
        self.numfig_format = app.config.numfig_format
        self.citations = _citation_labels(app)
        self.document = "/" + Path(self.env.doc2path(docname, False)).as_posix()
        self.language = app.config.language or SOURCE_LANGUAGE
        self.catalog = page_catalog(app, docname) if self.language != SOURCE_LANGUAGE else None
        #: The labels of the exercises that have a solution (set per page).
        self.solved: set[str] = set()
        #: How many texts the catalog translated, and the ones it did not.
        self.translated = 0
        self.untranslated: list[str] = []

    def substitution(self, text: str, name: str) -> str:
        """A MyST ``{{ name }}``: its value from ``myst_substitutions`` (Markdown)."""
        values = getattr(self.app.config, "myst_substitutions", None) or {}
        if name not in values:
            raise ValueError(f"{self.docname}: no MyST substitution {name!r} for the notebook's {text!r}")
        return str(values[name])

    # -- translation ------------------------------------------------------
    def translate(self, text: str) -> str | None:
        """The catalog's translation of one text of the MyST source, or None.

        The key is the text as Sphinx extracts it: a paragraph's or a
        heading's source with its line breaks made spaces, stripped.
        """
        if self.catalog is None:
            return None
        key = text.replace("\n", " ").strip()
        found = self.catalog.get(key) or self.catalog.get(" ".join(key.split()))
        if found:
            self.translated += 1
            return found
        if _LETTER.search(key):
            self.untranslated.append(key)
        return None

    def text(self, name: str, **values: str) -> str:
        """One of the notebooks' own sentences (:data:`NOTEBOOK_TEXT`) in this language."""
        texts = NOTEBOOK_TEXT.get(self.language)
        if texts is None or name not in texts:
            texts = NOTEBOOK_TEXT[SOURCE_LANGUAGE]
            if self.catalog is not None:
                self.untranslated.append(f"NOTEBOOK_TEXT[{self.language!r}][{name!r}]")
        elif self.catalog is not None:
            self.translated += 1
        return texts[name].format(**values)

    # -- links ------------------------------------------------------------
    def page_url(self, docname: str, anchor: str = "") -> str:
        url = f"{self.base}{docname}.html"
        return f"{url}#{anchor}" if anchor else url

    def number(self, label: str, kind: str) -> str | None:
        docname, labelid, _ = self.labels.get(label, (None, None, None))
        numbers = self.fignumbers.get(docname, {}).get(kind, {}).get(labelid)
        if not numbers:
            return None
        return self.numfig_format[kind] % ".".join(str(n) for n in numbers)

    def title(self, docname: str) -> str:
        title = self.env.titles.get(docname)
        return title.astext() if title is not None else docname

    # -- roles ------------------------------------------------------------
    def role(self, name: str, content: str) -> str:
        explicit = _EXPLICIT.match(content)
        text, target = (explicit["text"], explicit["target"]) if explicit else (None, content)
        if name in ("glue:text", "glue", "glue:"):
            # A translated catalog refers to the page's own glue key as
            # "/book/page.md::key:spec" (convbook_translation.own_page_glue).
            document, page_ref, rest = target.rpartition("::")
            if page_ref and document != self.document:
                logger.warning(f"[convbook] {self.docname}: glue of another page ({target!r}) in its notebook")
            key, _, spec = (rest if page_ref else target).partition(":")
            return self.glued(key, spec)
        if name == "term":
            return text or target
        if name == "numref":
            docname, labelid, _ = self.labels.get(target, (self.docname, target, ""))
            kind = "figure"
            for candidate in ("figure", "exercise", "table", "code-block"):
                if self.number(target, candidate):
                    kind = candidate
                    break
            number = self.number(target, kind) or target
            if text and "%s" in text:
                number = text.replace("%s", number.split(" ", 1)[-1])
            elif text:
                number = text
            return f"[{number}]({self.page_url(docname, labelid)})"
        if name == "ref":
            docname, labelid, sectname = self.labels.get(target, (self.docname, target, target))
            if labelid.startswith("chapter-"):
                return f"[{text or self.title(docname)}]({self.page_url(docname)})"
            return f"[{text or sectname}]({self.page_url(docname, labelid)})"
        if name == "doc":
            docname = str(PurePosixPath(self.docname).parent / target) if not target.startswith("/") else target[1:]
            docname = _normalise(docname)
            return f"[{text or self.title(docname)}]({self.page_url(docname)})"
        if name.startswith("cite"):
            return self.cite(name, target)
        if name == "math":
            return f"${content}$"
        if name == "eq":
            return f"({content})"
        return text or content

    def glued(self, key: str, spec: str) -> str:
        from myst_nb.core.variables import format_plain_text

        if key not in self.glue or "text/plain" not in self.glue[key]:
            logger.warning(f"[convbook] {self.docname}: no glued value {key!r} for its notebook")
            return key
        return format_plain_text(self.glue[key]["text/plain"], spec)

    def glued_math(self, key: str) -> str:
        latex = self.glue.get(key, {}).get("text/latex")
        if latex is None:
            return f"$$\n{self.glued(key, '')}\n$$"
        return "$$\n" + latex.strip().strip("$").strip() + "\n$$"

    def cite(self, name: str, keys: str) -> str:
        labels = []
        for key in (k.strip() for k in keys.split(",")):
            authors, year = self.citations.get(key, (key, ""))
            labels.append((authors, year))
        references = self.page_url("book/references")
        if name == "cite:t":
            return "; ".join(f"[{a} ({y})]({references})" for a, y in labels)
        return "([" + "; ".join(f"{a}, {y}" for a, y in labels) + f"]({references}))"


def _normalise(docname: str) -> str:
    parts: list[str] = []
    for part in docname.split("/"):
        if part == "..":
            parts.pop()
        elif part and part != ".":
            parts.append(part)
    return "/".join(parts)


def _citation_labels(app) -> dict[str, tuple[str, str]]:
    """``key -> (authors, year)`` for every entry of the book's .bib files."""
    cached = getattr(app, "_convbook_citations", None)
    if cached is not None:
        return cached
    from pybtex.database import parse_file

    labels: dict[str, tuple[str, str]] = {}
    for bibfile in getattr(app.config, "bibtex_bibfiles", []) or []:
        data = parse_file(str(Path(app.srcdir) / bibfile))
        for key, entry in data.entries.items():
            people = entry.persons.get("author", [])
            names = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
            if not names:
                authors = entry.fields.get("author", key).strip("{}")
            elif len(names) == 1:
                authors = names[0]
            elif len(names) == 2:
                authors = f"{names[0]} and {names[1]}"
            else:
                authors = f"{names[0]} et al."
            if any(p.last_names == ["others"] for p in people) and len(names) == 2:
                authors = f"{names[0]} et al."
            labels[key] = (authors.replace("\\'e", "é").replace("{\\'e}", "é"), entry.fields.get("year", ""))
    app._convbook_citations = labels
    return labels


def page_catalog(app, docname: str) -> dict[str, str]:
    """``English -> translation`` of one page's compiled catalog (``<page>.mo``).

    The ``.mo`` is the one Sphinx translates the page with, compiled at the
    start of the build by ``convbook_translation``; its untranslated and
    fuzzy messages are not in it.
    """
    import polib

    for folder in app.config.locale_dirs or []:
        mo = Path(app.srcdir, folder, app.config.language, "LC_MESSAGES", f"{docname}.mo")
        if mo.is_file():
            messages = {entry.msgid: entry.msgstr for entry in polib.mofile(str(mo)) if entry.msgid and entry.msgstr}
            # Also by the text with its white space collapsed, for a key
            # whose source had extra indentation inside it.
            for msgid, msgstr in list(messages.items()):
                messages.setdefault(" ".join(msgid.split()), msgstr)
            return messages
    # A new page before `make translations`: English, as the page itself
    # (convbook_translation notes it once for the whole build).
    logger.info(f"[convbook] {docname}: no compiled catalog for {app.config.language!r}, so its notebook stays English")
    return {}


def _markdown_parser(app):
    """The MyST Markdown parser, configured as the build's (its line maps locate the texts)."""
    parser = getattr(app, "_convbook_markdown_parser", None)
    if parser is None:
        from markdown_it.renderer import RendererHTML
        from myst_parser.parsers.mdit import create_md_parser

        parser = app._convbook_markdown_parser = create_md_parser(app.env.myst_config, RendererHTML)
    return parser


def translate_blocks(source: str, ctx: NotebookContext) -> str:
    """MyST Markdown with every paragraph, heading, list item and table cell translated.

    Each text is looked up as Sphinx extracts it (the inline content of its
    block), and replaced in place in the source, after the block's own
    markup (``## ``, ``- ``, ``> ``); the rest of the source is kept. A text
    without a translation stays as it is (and is counted).
    """
    if ctx.catalog is None or not source.strip():
        return source
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    pieces: list[str] = []
    position = 0
    for token in _markdown_parser(ctx.app).parse(source):
        if token.type != "inline" or not token.content.strip():
            continue
        translation = ctx.translate(token.content)
        if translation is None:
            continue
        pattern = _BETWEEN_LINES.join(re.escape(line.strip()) for line in token.content.strip().split("\n"))
        start = max(position, offsets[min(token.map[0], len(offsets) - 1)] if token.map else position)
        match = re.compile(pattern).search(source, start)
        if match is None:
            logger.warning(f"[convbook] {ctx.docname}: cannot place the translation of {token.content[:60]!r}")
            continue
        pieces.extend([source[position:match.start()], " ".join(translation.split())])
        position = match.end()
    pieces.append(source[position:])
    return "".join(pieces)


def _rule_above_deep_dives(english: str, source: str) -> str:
    """``source`` (``english``, maybe translated) with a rule above each "Going deeper" heading.

    The notebook's counterpart of the page's boxed deep dive
    (``convbook_deeper.py``): the headings are told by their English title,
    and paired with the translated ones in order.
    """
    deeper = [title.startswith(DEEPER_PREFIX) for _, title in _HEADING.findall(english)]
    if not any(deeper):
        return source
    marks = iter(deeper)
    return _HEADING.sub(lambda m: f"---\n\n{m[0]}" if next(marks, False) else m[0], source)


def convert_markdown(text: str, ctx: NotebookContext, counters: dict[str, int]) -> str:
    """MyST Markdown of one cell -> plain (Jupyter) Markdown, translated in a translated build."""
    lines = text.splitlines()
    out: list[str] = []  # blocks: converted text and directives, a blank line apart
    plain: list[str] = []  # text between directives; a role may span lines

    def flush() -> None:
        if plain:
            source = _rule_above_deep_dives("\n".join(plain), translate_blocks("\n".join(plain), ctx))
            source = _ROLE.sub(lambda m: ctx.role(m["name"], m["content"]), source)
            out.append(_SUBSTITUTION.sub(lambda m: ctx.substitution(m[0], m["name"]), source).strip("\n"))
            plain.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if _TARGET.match(line) or _COMMENT.match(line):
            i += 1
            continue
        fence = _FENCE.match(line)
        if not fence:
            plain.append(line)
            i += 1
            continue
        flush()
        indent, marker, name, arg = fence["indent"], fence["fence"], fence["name"], fence["arg"].strip()
        # The directive's options, then its body up to the closing fence.
        j = i + 1
        options: dict[str, str] = {}
        while j < len(lines) and re.match(r"^\s*:[\w-]+:", lines[j]):
            key, _, value = lines[j].strip()[1:].partition(":")
            options[key] = value.strip()
            j += 1
        body: list[str] = []
        while j < len(lines) and lines[j].strip() != marker:
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j])
            j += 1
        i = j + 1
        out.append(_directive(name, arg, options, "\n".join(body).strip("\n"), ctx, counters).strip("\n"))
    flush()
    return "\n\n".join(block for block in out if block.strip()).strip("\n")


def _exercise_label(text: str) -> str:
    """sphinx-exercise's own word (Exercise, Solution, Solution to) in the build's language."""
    from sphinx.locale import get_translation

    return str(get_translation("exercise")(text))


def _directive(name: str, arg: str, options: dict, body: str, ctx: NotebookContext, counters) -> str:
    # Directives whose body is not Markdown (and so is neither converted nor translated).
    if name == "raw":
        # HTML for the book's page (the playground): it runs there, not here.
        return ctx.text("interactive", url=ctx.page_url(ctx.docname))
    if name == "solution-end":
        return ""
    if name == "glue:math":
        return ctx.glued_math(arg)
    if name in ("glue", "glue:any", "glue:text"):
        return ctx.glued(arg, "")
    if name == "literalinclude":
        return _literal_include(arg, options, ctx)
    if name in ("math",):
        return f"$$\n{body}\n$$"
    if name in ("code-block", "code", "sourcecode"):
        return f"```{arg}\n{body}\n```"
    if name == "repository-clone":
        from convbook_repository import clone_commands

        return f"```bash\n{clone_commands(ctx.app.config, body)}\n```"
    inner = convert_markdown(body, ctx, counters) if body else ""
    if name == "exercise":
        label = options.get("label", "")
        number = ctx.number(label, "exercise") if label else None
        counters["exercise"] = counters.get("exercise", 0) + 1
        heading = number or f"{_exercise_label('Exercise')} {counters['exercise']}"
        title = f" ({convert_markdown(arg, ctx, counters)})" if arg else ""
        text = f"**{heading}{title}.**\n\n{inner}"
        if label:
            # An anchor for its solution's link back, and a link to the solution.
            text = f'{_anchor(label)}\n\n{text}'
            if label in ctx.solved:
                text += "\n\n" + ctx.text("to solution", anchor=solution_anchor(label))
        return text
    if name in ("solution-start", "solution"):
        number = ctx.number(arg, "exercise") if arg else None
        heading = f"{_exercise_label('Solution to')} [{number}](#{arg})" if number else _exercise_label("Solution")
        heading = f"{_anchor(solution_anchor(arg))}\n\n**{heading}.**" if arg else f"**{heading}.**"
        return f"{heading}\n\n{inner}" if inner else heading
    if name in _ADMONITIONS:
        from sphinx.locale import admonitionlabels

        title = convert_markdown(arg, ctx, counters) if arg else str(admonitionlabels.get(name, name.capitalize()))
        quoted = "\n".join(f"> {line}" if line else ">" for line in inner.splitlines())
        return f"> **{title}**\n>\n{quoted}"
    if name in ("figure", "image"):
        alt = options.get("alt", "")
        return f"*{inner or ctx.translate(alt) or alt}*"
    return inner


def solution_anchor(label: str) -> str:
    """The notebook's anchor of the solution to exercise ``label``."""
    return f"solution-{label}"


def _anchor(name: str) -> str:
    # An empty HTML anchor: Jupyter's and Colab's Markdown keep its id, and
    # a [link](#name) scrolls to it.
    return f'<a id="{name}"></a>'


def _literal_include(arg: str, options: dict, ctx: NotebookContext) -> str:
    source_dir = Path(ctx.env.doc2path(ctx.docname)).parent
    path = (source_dir / arg).resolve()
    text = path.read_text(encoding="utf-8")
    pyobject = options.get("pyobject")
    language = options.get("language", "python")
    if is_package_listing(str(path), options) and find_object(ast.parse(text), pyobject) is not None:
        # The package's code: the lines that teach, then the full source folded,
        # as on the page (convbook_listings.py).
        shown, full = teaching_source(text, pyobject)
        shown = part_of(shown, options)
        if shown != full:
            return (f"```{language}\n{shown.rstrip()}\n```\n\n<details><summary>{listing_summary(ctx.language)}"
                    f"</summary>\n\n```{language}\n{full.rstrip()}\n```\n\n</details>")
    if pyobject:
        tree = ast.parse(text)
        node = _find_object(tree, pyobject.split("."))
        if node is None:
            logger.warning(f"[convbook] {ctx.docname}: {pyobject} not found in {arg}")
        else:
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            text = "\n".join(text.splitlines()[start - 1:node.end_lineno])
    return f"```{language}\n{text.rstrip()}\n```"


def _find_object(tree, names: list[str]):
    scope = tree.body
    found = None
    for name in names:
        found = next(
            (n for n in scope if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and n.name == name),
            None,
        )
        if found is None:
            return None
        scope = found.body
    return found


#: The install cell's words, per language: its comments, the line it prints
#: before pip runs, and the one sentence it ends with when pip fails. The code
#: around them is the same in every language. A language missing here gets
#: English.
INSTALL_TEXT = {
    "en": {
        "comment": "# Run this cell first: it installs the book's package, convbook, where it is missing.\n"
                   "# (Colab and most Jupyter installs already have numpy, torch, OpenCV and matplotlib.)\n"
                   "# To install convbook from elsewhere, such as a clone of the repository, set the\n"
                   "# environment variable {variable} to that folder (or any pip requirement).",
        "progress": "# pip's own lines show its progress.",
        "installing": "Installing convbook from {{source}} (a minute or two) ...",
        "failed": "Could not install convbook from {{source}} (pip says why above): clone {repository}, "
                  "run `pip install -e .` in the clone and restart the kernel, or set {variable} "
                  "to the clone's folder and run this cell again.",
        "why": "# The message alone, without a traceback (IPython shows what this returns).",
    },
    "ko": {
        "comment": "# 이 셀을 먼저 실행하세요. 책의 패키지 convbook이 없으면 설치합니다.\n"
                   "# (Colab과 대부분의 Jupyter 환경에는 numpy, torch, OpenCV, matplotlib이 이미 있습니다.)\n"
                   "# 저장소를 복제(clone)한 폴더처럼 다른 곳에서 convbook을 설치하려면\n"
                   "# 환경 변수 {variable}에 그 폴더(또는 pip 요구 사항)를 지정하세요.",
        "progress": "# pip이 출력하는 줄로 진행 상황을 보여 줍니다.",
        "installing": "{{source}}에서 convbook을 설치하는 중입니다(1~2분 걸립니다) ...",
        "failed": "{{source}}에서 convbook을 설치하지 못했으니(이유는 위의 pip 메시지에 있습니다), "
                  "{repository} 저장소를 복제(clone)해 그 폴더에서 `pip install -e .`를 실행한 뒤 커널을 "
                  "다시 시작하거나, 환경 변수 {variable}에 복제한 폴더를 지정하고 이 셀을 다시 실행하세요.",
        "why": "# 트레이스백 없이 메시지만 보여 줍니다(IPython은 이 메서드가 돌려주는 것을 표시합니다).",
    },
}


def _fstring(text: str, indent: int, width: int = 64) -> str:
    """``text`` as an f-string literal, split into adjacent pieces of at most ``width`` characters."""
    import textwrap

    # Never inside `inline code`: its spaces are held together while wrapping.
    held = re.sub(r"`[^`]*`", lambda m: m[0].replace(" ", "\0"), text)
    pieces = textwrap.wrap(held, width, drop_whitespace=False, break_long_words=False, break_on_hyphens=False)
    literals = ["f" + json.dumps(piece.replace("\0", " "), ensure_ascii=False) for piece in pieces]
    return ("\n" + " " * indent).join(literals)


def install_cell(app) -> nbformat.NotebookNode:
    """The notebook's first code cell: installs convbook where it is missing, with progress.

    When pip fails (the repository cannot be reached, say), the cell ends in
    one sentence that says what failed and what to do, not in a traceback.
    """
    from convbook_repository import repository_url

    repository = repository_url(app.config)
    requirement = f"convbook @ git+{repository}.git"
    language = app.config.language or SOURCE_LANGUAGE
    words = {key: text.format(variable=INSTALL_OVERRIDE, repository=repository)
             for key, text in INSTALL_TEXT.get(language, INSTALL_TEXT[SOURCE_LANGUAGE]).items()}
    source = f'''{words["comment"]}
import importlib, importlib.util, os, subprocess, sys

class InstallFailed(Exception):
    def _render_traceback_(self):
        {words["why"]}
        return [str(self)]

if importlib.util.find_spec("convbook") is None:
    source = os.environ.get("{INSTALL_OVERRIDE}",
                            "{requirement}")
    print({_fstring(words["installing"], 10)}, flush=True)
    {words["progress"]}
    pip = subprocess.Popen([sys.executable, "-m", "pip", "install", source],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in pip.stdout:
        print(line, end="", flush=True)
    if pip.wait() != 0:
        raise InstallFailed({_fstring(words["failed"], 28)})
    importlib.invalidate_caches()
import convbook
print("convbook", convbook.__version__)'''
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["install"]})


def glued_values(notebook) -> dict[str, dict[str, str]]:
    """``key -> {mime type: data}`` of every value a notebook glued."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook")
            if scrap:
                prefix = scrap.get("mime_prefix", "application/papermill.record/")
                values[scrap["name"]] = {
                    mime[len(prefix):] if mime.startswith(prefix) else mime: data
                    for mime, data in output.get("data", {}).items()
                }
    return values


def _without_glue_outputs(outputs: list) -> list:
    return [o for o in outputs if not o.get("metadata", {}).get("scrapbook")]


#: A solution's label in the MyST source (plain or gated solution).
_SOLUTION_LABEL = re.compile(r"^ *(?:`{3,}|:{3,})\{solution(?:-start)?\}\s+([\w:.-]+)", re.M)


def split_solutions(source: str, inside: str | None) -> tuple[list[tuple[str | None, str]], str | None]:
    """One Markdown cell's MyST source in pieces: ``(label of its solution or None, text)``.

    ``inside`` is the solution that the cells before left open (a gated
    ``solution-start`` whose ``solution-end`` comes in a later cell), or
    None; the state after this cell is returned with the pieces. A plain
    ``{solution}`` directive is a piece of its own.
    """
    lines = source.splitlines()
    pieces: list[tuple[str | None, list[str]]] = [(inside, [])]
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence or fence["name"] not in ("solution", "solution-start", "solution-end"):
            pieces[-1][1].append(lines[i])
            i += 1
            continue
        # The directive's lines, up to its closing fence.
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence["fence"]:
            j += 1
        directive = lines[i:j + 1]
        i = j + 1
        name, label = fence["name"], fence["arg"].strip() or None
        if name == "solution":
            pieces += [(label, directive), (inside, [])]
        elif name == "solution-start":
            inside = label
            pieces.append((inside, directive))
        else:
            pieces[-1][1].extend(directive)
            inside = None
            pieces.append((None, []))
    return [(label, "\n".join(text)) for label, text in pieces if "\n".join(text).strip()], inside


#: The chapters' call that sets the book's style (the first code cell of each).
_BOOK_STYLE_CALL = re.compile(r"^(?P<indent>[ \t]*)use_book_style\(\)", re.M)


def _in_language(source: str, language: str) -> str:
    """A code cell as a ``language`` notebook runs it: its figures drawn in ``language``.

    >>> _in_language("x = 1\\nuse_book_style()", "ko")
    'x = 1\\nuse_book_style(language="ko")'
    """
    if language == SOURCE_LANGUAGE:
        return source
    return _BOOK_STYLE_CALL.sub(lambda m: f'{m["indent"]}use_book_style(language="{language}")', source)


def standalone_notebook(app, docname: str, executed, ctx: NotebookContext | None = None) -> nbformat.NotebookNode:
    """The reader's notebook of one page, from its executed notebook (in the build's language).

    The solutions, with their code cells and figures, come last, under a
    heading of their own, in the order of their exercises.
    """
    ctx = ctx or NotebookContext(app, docname, glued_values(executed))
    ctx.solved = {label for cell in executed.cells if cell.cell_type == "markdown"
                  for label in _SOLUTION_LABEL.findall(cell.source)}
    counters: dict[str, int] = {}
    cells, solutions = [], []
    inside: str | None = None
    for cell in executed.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "code" and tags & HIDDEN_TAGS:
            continue
        if cell.cell_type == "markdown":
            pieces, inside = split_solutions(cell.source, inside)
            for label, piece in pieces:
                text = convert_markdown(piece, ctx, counters)
                if text.strip():
                    (solutions if label else cells).append(nbformat.v4.new_markdown_cell(text))
            continue
        if cell.cell_type != "code":
            continue
        target = solutions if inside else cells
        new = nbformat.v4.new_code_cell(_in_language(cell.source, ctx.language))
        new.outputs = _without_glue_outputs(copy.deepcopy(cell.get("outputs", [])))
        new.execution_count = cell.get("execution_count")
        if tags:
            new.metadata["tags"] = sorted(tags)
        target.append(new)
        figure = (cell.get("metadata", {}).get("mystnb") or {}).get("figure") or {}
        if figure.get("caption"):
            number = ctx.number(figure.get("name", ""), "figure") if figure.get("name") else None
            caption = convert_markdown(str(figure["caption"]), ctx, counters)
            target.append(nbformat.v4.new_markdown_cell(f"*{number + ': ' if number else ''}{caption}*"))
    if solutions:
        cells.append(nbformat.v4.new_markdown_cell(f"## {ctx.text('solutions')}"))
        cells.extend(solutions)
    intro = nbformat.v4.new_markdown_cell(ctx.text(
        "intro", title=ctx.title(docname), url=ctx.page_url(docname),
        book=app.config.html_title or app.config.project, base=ctx.base,
    ))
    # Title first, then the note and the install cell.
    head = 1 if cells and cells[0].cell_type == "markdown" and cells[0].source.startswith("#") else 0
    cells[head:head] = [intro, install_cell(app)]
    # Stable cell ids, the same in every language: a rebuild changes no id,
    # and a translated notebook's cells pair with the English ones.
    for number, cell in enumerate(cells):
        cell["id"] = f"{Path(docname).name}-{number:03d}"
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(notebook)
    return notebook


def write_notebooks(app, exception) -> None:
    # The single page (singlehtml) is only printed: its notebooks would go unread.
    if exception is not None or app.builder.format != "html" or app.builder.name == "singlehtml":
        return
    from jupyter_cache import get_cache
    from myst_nb.core.read import is_myst_markdown_notebook, read_myst_markdown_notebook

    config = app.env.mystnb_config
    cache = get_cache(config.execution_cache_path)
    outdir = Path(app.outdir)
    written = translated = 0
    untranslated: list[tuple[str, str]] = []
    for docname in sorted(app.env.found_docs):
        path = Path(app.env.doc2path(docname))
        text = path.read_text(encoding="utf-8")
        if path.suffix != ".md" or not is_myst_markdown_notebook(text):
            continue
        notebook = read_myst_markdown_notebook(text)
        if not any(cell.cell_type == "code" for cell in notebook.cells):
            continue
        try:
            _, executed = cache.merge_match_into_notebook(notebook)
        except KeyError:
            logger.warning(f"[convbook] {docname}: not in the execution cache, so its notebook has no outputs")
            executed = notebook
        # Figures in the build's language (problems were reported when the page was read).
        localize_outputs(executed, app.config.language or SOURCE_LANGUAGE)
        ctx = NotebookContext(app, docname, glued_values(executed))
        standalone = standalone_notebook(app, docname, executed, ctx)
        translated += ctx.translated
        untranslated.extend((docname, text) for text in ctx.untranslated)
        content = json.dumps(standalone, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        for target in (outdir / "notebooks" / f"{Path(docname).name}.ipynb", outdir / "_sources" / f"{docname}.ipynb"):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        written += 1
    logger.info(f"[convbook] wrote {written} notebooks to {outdir / 'notebooks'}")
    language = app.config.language or SOURCE_LANGUAGE
    if language != SOURCE_LANGUAGE:
        # Not silent: a text the catalogs lack stays English in the notebook.
        total = translated + len(untranslated)
        logger.info(f"[convbook] {language} notebooks: {translated} of {total} texts translated from the catalogs, "
                    f"{len(untranslated)} left in English")
        for docname, text in untranslated:
            logger.info(f"[convbook]   untranslated in {docname}: {text[:100]!r}")


def setup(app):
    app.connect("build-finished", write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
