"""Sphinx extension: the site's search results, ranked and summarised (issue 18).

Loaded through ``sphinx.local_extensions`` in ``_config.yml``. Sphinx's own
search (``searchtools.js``) ranks and summarises its results in ways a
reader of this book trips over:

* **Snippets built from the whole page.** For each result it fetches the
  page and cuts 240 characters out of its main element's text: the header's
  download menu ("…zip)"), the "Contents" sidebar, code cells (English
  docstrings in the Korean edition) and every formula three times (KaTeX's
  HTML, its MathML and the TeX source). Under ``file://`` (the offline zip)
  the fetches fail, one CORS error per result, and no result has a snippet.
* **Ranking by word, not by page.** A page's title counts no more than one
  of its section titles, so "padding" ranked *Correlation by hand* (a
  section "The border: reflect padding") above *Padding and stride*; a page
  whose title matches can be listed twice (once as "T > T").

What this extension does instead:

* **The prose of every page, written once at build time**, into
  ``_static/convbook-search-data.js`` of each language's site (taken from
  the doctree Sphinx resolves to write each page, kept in the doctree
  folder for the pages an incremental build does not rewrite):
  each section's paragraphs, list items and admonitions, without code,
  outputs, figures, tables or the page's chrome, each formula once (its TeX
  source, lightly made readable: ``k_l × k_l``). The search page loads it
  with a ``<script>`` element, which works from ``file://`` too, so the zip
  needs nothing of its own; Sphinx's fetches are turned off
  (``html_show_search_summary``) and ``_static/convbook-search.js`` writes
  each result's snippet from this text.
* **A page whose title matches the query first, once.** The script re-ranks
  Sphinx's results: one result per page, and a page whose title holds every
  word of the query (stemmed as the index stems them) ahead of all others.
  A translation's page also counts its English title (the source's
  ``# heading``), so "stride" on /ko/ finds *패딩과 스트라이드* first.
* **A link to the other language.** A query written in Hangul on the
  English site offers the same search in the Korean edition.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

from docutils import nodes
from sphinx import addnodes

#: The language built at the site's root (book/_ext/convbook_translation.py).
SOURCE_LANGUAGE = "en"
#: Where the data is written, inside the build's ``_static``.
DATA_NAME = "convbook-search-data.js"
SCRIPT_NAME = "convbook-search.js"
#: Per language: the words the script shows, and how it recognises a query in it.
LANGUAGES = {
    "ko": {
        "script": "[\\u1100-\\u11ff\\u3130-\\u318f\\uac00-\\ud7a3]",
        "intro": "This looks like Korean:",
        "offer": "search the Korean edition for",
        "offer_native": "한국어판에서 검색",
    },
}

#: Nodes that are not prose: code, outputs, figures, tables, raw HTML, the
#: table of contents, titles (a snippet is the section's text, not its heading).
NOT_PROSE = (nodes.literal_block, nodes.doctest_block, nodes.raw, nodes.comment, nodes.figure,
             nodes.image, nodes.table, nodes.title, nodes.caption, nodes.legend, nodes.target,
             nodes.substitution_definition, nodes.system_message, nodes.meta, addnodes.toctree,
             addnodes.only, nodes.rubric)
#: Containers that are not prose, by class: MyST-NB's code cells and outputs.
NOT_PROSE_CLASSES = {"cell", "cell_output", "output", "toctree-wrapper", "onlyprint", "convbook-interactive"}
#: Nodes after which a space keeps two words apart.
BLOCKS = (nodes.paragraph, nodes.list_item, nodes.definition_list_item, nodes.term, nodes.definition,
          nodes.field, nodes.line, nodes.Admonition, nodes.footnote, nodes.citation, nodes.math_block)

#: TeX commands a snippet shows as the character they stand for.
TEX_SYMBOLS = {
    "times": "×", "cdot": "·", "cdots": "⋯", "ldots": "…", "dots": "…", "le": "≤", "leq": "≤",
    "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "in": "∈", "sum": "∑", "prod": "∏",
    "infty": "∞", "to": "→", "rightarrow": "→", "leftarrow": "←", "pm": "±", "partial": "∂",
    "nabla": "∇", "star": "⋆", "ast": "∗", "circ": "∘", "odot": "⊙", "otimes": "⊗", "lfloor": "⌊",
    "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "mid": "|", "quad": " ", "qquad": " ", "max": "max",
    "min": "min", "exp": "exp", "log": "log", "tanh": "tanh",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "sigma": "σ", "tau": "τ", "phi": "φ",
    "pi": "π", "rho": "ρ", "omega": "ω", "Delta": "Δ", "Sigma": "Σ", "Omega": "Ω",
}
_TEX_FRACTION = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_TEX_SCRIPT = re.compile(r"([_^])\s*\{([^{}]*)\}")
_TEX_GROUP = re.compile(r"(?<![_^])\{([^{}]*)\}")
_TEX_COMMAND = re.compile(r"\\([A-Za-z]+)\s*|\\[,;:! ]|\\\\|&")


def tex_to_text(tex: str) -> str:
    """A formula's TeX as a snippet shows it: symbols for commands, no braces.

    >>> tex_to_text(r"k_l \\times k_l")
    'k_l × k_l'
    >>> tex_to_text(r"\\left\\lfloor \\frac{W + 2P - K}{S} \\right\\rfloor + 1")
    '⌊(W + 2P - K)/S⌋ + 1'
    """
    def command(match: re.Match) -> str:
        name = match[1]
        if name is None:
            return " "
        if name in TEX_SYMBOLS:
            return TEX_SYMBOLS[name] + " "
        return ""  # \left, \right, \frac, \mathrm, \text, ...: their arguments stay

    def fraction(match: re.Match) -> str:
        top, bottom = (part.strip() for part in match.groups())
        top = top if re.fullmatch(r"\w+", top) else f"({top})"
        bottom = bottom if re.fullmatch(r"\w+", bottom) else f"({bottom})"
        return f"{top}/{bottom}"

    text = tex
    while _TEX_FRACTION.search(text):
        text = _TEX_FRACTION.sub(fraction, text)
    text = _TEX_COMMAND.sub(command, text)

    def script(match: re.Match) -> str:  # x_{i+m} is x_(i+m), x_{i} is x_i
        inner = match[2].strip()
        return match[1] + (inner if re.fullmatch(r"\w*", inner) else f"({inner})")

    while "{" in text:
        unbraced = _TEX_SCRIPT.sub(script, text)
        unbraced = _TEX_GROUP.sub(r"\1", unbraced)
        if unbraced == text:
            break
        text = unbraced
    text = text.replace("{", " ").replace("}", " ")
    text = re.sub(r"\s*([_^])\s*", r"\1", text)
    text = re.sub(r"\b(max|min|exp|log|tanh) \(", r"\1(", text)  # max(0, x), as written
    text = re.sub(r"([(\[⌊⌈])\s+", r"\1", text)
    text = re.sub(r"\s+([)\],.⌋⌉])", r"\1", text)
    return " ".join(text.split())


def _squeeze(parts: list[str]) -> str:
    """Parts joined as one line, no space before punctuation (a formula's own spaces)."""
    return re.sub(r"\s+([,.;:!?)])", r"\1", " ".join("".join(parts).split()))


def _is_prose(node) -> bool:
    if isinstance(node, NOT_PROSE):
        return False
    classes = set(node.get("classes", [])) if isinstance(node, nodes.Element) else set()
    return not classes & NOT_PROSE_CLASSES


def prose_sections(doctree) -> list[list]:
    """The page's prose, section by section: ``[id, depth, text]`` in reading order.

    A section's text is its own, without its subsections'; the first entry's
    id is the page's title section (the search shows the whole page for it).
    """
    chunks: list[list] = []

    def walk(node, parts: list[str]) -> None:
        if isinstance(node, nodes.Text):
            parts.append(str(node))
            return
        if isinstance(node, (nodes.math, nodes.math_block)):
            parts.append(" " + tex_to_text(node.astext()) + " ")
            return
        if not _is_prose(node):
            return
        if isinstance(node, nodes.section):
            section(node)
            return
        for child in node.children:
            walk(child, parts)
        if isinstance(node, BLOCKS):
            parts.append(" ")

    def section(node, depth: int | None = None) -> None:
        depth = depth if depth is not None else _depth(node)
        entry = [node["ids"][0] if node.get("ids") else "", depth, ""]
        chunks.append(entry)
        parts: list[str] = []
        for child in node.children:
            if isinstance(child, nodes.section):
                entry[2] = _squeeze(parts)
                parts = []
                section(child)
            else:
                walk(child, parts)
        entry[2] = (entry[2] + " " + _squeeze(parts)).strip()

    def _depth(node) -> int:
        depth, parent = 0, node.parent
        while parent is not None:
            if isinstance(parent, nodes.section):
                depth += 1
            parent = parent.parent
        return depth

    for child in doctree.children:
        if isinstance(child, nodes.section):
            section(child, 0)
        else:
            parts: list[str] = []
            walk(child, parts)
            text = _squeeze(parts)
            if text:
                chunks.append(["", 0, text])
    return [chunk for chunk in chunks if chunk[0] or chunk[2]]


def source_title(app, docname: str) -> str | None:
    """A page's title in the sources' language: the first ``# `` heading of its Markdown."""
    path = Path(app.env.doc2path(docname))
    if path.suffix != ".md" or not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return re.sub(r"[`*_]|\{[^}]*\}", "", line[2:]).strip()
    return None


def other_languages(app) -> dict:
    """For the English site: each translation's search page (relative) and the offer's words."""
    language = (app.config.language or SOURCE_LANGUAGE).split("_")[0]
    if language != SOURCE_LANGUAGE:
        return {}
    return {code: dict(words, url=f"{code}/search{app.builder.out_suffix}") for code, words in LANGUAGES.items()}


def _prose_folder(app) -> Path:
    """Where each page's prose waits for the search page, one JSON file per page.

    Named after this module's source, so that a changed extraction never
    reads what an older one wrote.
    """
    version = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:10]
    return Path(app.doctreedir) / f"convbook-search-{version}"


def _prose_file(app, docname: str) -> Path:
    return _prose_folder(app) / (docname.replace("/", "__") + ".json")


def remember_prose(app, doctree, docname) -> None:
    """Each page's prose, from the doctree Sphinx has just resolved to write the page.

    Kept on disk: the search page is written after every page, possibly by
    other processes, and an incremental build only resolves the pages it
    rewrites.
    """
    if app.builder.format != "html" or app.builder.name == "singlehtml":
        return
    path = _prose_file(app, docname)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(json.dumps(prose_sections(doctree), ensure_ascii=False), encoding="utf-8")
    partial.replace(path)


def page_prose(app, docname: str) -> list[list] | None:
    """A page's prose: as remembered while it was written, else from its doctree now."""
    path = _prose_file(app, docname)
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    try:
        return prose_sections(app.env.get_and_resolve_doctree(docname, app.builder))
    except FileNotFoundError:
        return None


def search_data(app) -> dict:
    """Everything the search page's script needs, for this language."""
    language = (app.config.language or SOURCE_LANGUAGE).split("_")[0]
    pages, titles = {}, {}
    for docname in sorted(app.env.found_docs):
        prose = page_prose(app, docname)
        if prose is None:
            continue
        pages[docname] = prose
        if language != SOURCE_LANGUAGE:
            english = source_title(app, docname)
            if english:
                titles[docname] = [english]
    return {"pages": pages, "titles": titles, "languages": other_languages(app)}


def write_global_script(app, name: str, variable: str, value) -> tuple[Path, int]:
    """Write ``window.<variable> = <value as JSON>;`` to the site's ``_static/<name>``
    (only when it changed, so its checksum holds); return the file and its size in bytes.

    How the search page gets its build-time data: a script, which also loads from
    ``file://`` (the offline zip), where a fetch of a JSON file would be refused.
    """
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    encoded = f"window.{variable} = {data};\n".encode("utf-8")
    target = Path(app.outdir) / "_static" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.read_bytes() != encoded:
        target.write_bytes(encoded)
    return target, len(encoded)


def write_search_data(app, pagename, templatename, context, doctree) -> None:
    """On the search page: write the data, and load it and the script after searchtools.js."""
    if pagename != "search" or app.builder.format != "html" or not hasattr(app.builder, "out_suffix"):
        return
    start = time.perf_counter()
    found = search_data(app)
    target, size = write_global_script(app, DATA_NAME, "CONVBOOK_SEARCH", found)
    print(f"[convbook] search snippets: {len(found['pages'])} pages, {size / 1e3:.0f} kB, "
          f"in {time.perf_counter() - start:.1f} s -> {target}", flush=True)
    # Sphinx gives both their checksum (?v=...) from the files written. Deferred: they run once the page is parsed, after searchtools.js and
    # the index (loaded undeferred by the theme's search.html), and before
    # the search starts (on DOMContentLoaded). Added here, to this page only.
    app.add_js_file(DATA_NAME, loading_method="defer")
    app.add_js_file(SCRIPT_NAME, loading_method="defer")


def no_fetched_summaries(app, config) -> None:
    """searchtools.js fetches no page: convbook-search.js writes the snippets."""
    config.html_show_search_summary = False


def setup(app):
    app.connect("config-inited", no_fetched_summaries)
    # Last, after the other extensions have changed the doctree.
    app.connect("doctree-resolved", remember_prose, priority=900)
    app.connect("html-page-context", write_search_data)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
