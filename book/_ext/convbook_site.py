"""Sphinx extension: the built site as readers get it (issue 3).

Loaded through ``sphinx.local_extensions`` in ``_config.yml``. It lives here,
not in the ``convbook`` package, so that a build does not import torch.

What it does:

* **One copy of every script.** Jupyter Book 1.0.4 registers sphinx-thebe's
  inline configuration twice, so every page declared ``const THEBE_JS_URL``
  twice and logged a ``SyntaxError``. Duplicate ``<script>`` entries are
  dropped, and when the book does not turn on Thebe (``launch_buttons.thebe``)
  its assets are not put in the pages at all: they only point at a CDN.
* **A meta description on every page**, for search engines and Lighthouse's
  SEO audit. A page sets its own in its front matter::

      ---
      myst:
        html_meta:
          description: What this chapter teaches, in one sentence.
      ---

  and otherwise gets the start of its first paragraph.
* **Scripts after the first paint (issue 10).** Every script in the head
  that Sphinx and the extensions add (``doctools.js``, ``copybutton.js``,
  ``togglebutton.js``, the theme's, ...) is deferred: it runs once the page
  is parsed, in the same order as before, instead of holding up the first
  paint. Their inline snippets keep that order too: each becomes a deferred
  script with a ``data:`` URL (no request), because a snippet such as
  ``DOCUMENTATION_OPTIONS.pagename = ...`` needs the script before it; a
  snippet that only sets variables (``let toggleHintShow = ...``) stays
  inline and runs at once, as a deferred script may read it as soon as it
  runs. The theme's colour-mode snippet (``_templates/layout.html``) runs
  first too, so that no page flashes in the wrong theme. sphinx-design's
  stylesheet and script are left out of pages that use none of its
  components.
* **Figures that load when needed, without shifting (issue 10).** Every
  figure image gets its ``width`` and ``height`` (the PNG's own, which is
  the size it is shown at; CSS scales it down on a narrow screen, keeping
  the ratio), so the page keeps its place for it before it arrives; and
  every figure after the first screenful of text is ``loading="lazy"``.
* **Icons from a subset (issue 10).** The theme draws its header icons
  (and the admonitions') with Font Awesome's web fonts, 157 kB for the
  solid font alone. After the build, each of those fonts is cut down to the
  glyphs that the site uses (the ``fa-*`` classes in its pages and scripts,
  the icons its stylesheets name): a few kB, same file names and
  ``@font-face`` rules. The theme's stylesheet, which every page waits for,
  drops its rules for the other 1,800 icons (20 kB of its 65 kB compressed).
* **References that pass axe.** The bibliography's entries are list items
  (``role="listitem"`` in docutils' ``role="list"``), not the deprecated
  ``doc-biblioentry`` role.
* **Unique ids.** sphinx-exercise gives the body of every exercise the id
  ``exercise-content`` (and of every solution ``solution-content``), so a
  page with two exercises repeats an id: invalid HTML. Each gets a number.
* **A solution's whole bar opens it (issue 18).** sphinx-exercise titles a
  solution "Solution to" + a link to its exercise; a tap on the link's words
  jumped to the exercise (just above) instead of opening the solution, as a
  tap anywhere else on the bar does. The title is plain text.
* **Optimised figure PNGs.** Every PNG in ``_images`` is re-encoded without
  loss by oxipng (PyPI ``pyoxipng``): gray when all its pixels are gray, a
  palette when it has at most 256 colours, PNG's row filters tried, and
  libdeflate's compression, about a sixth smaller than zlib's best. Results
  are cached by content, so a rebuild costs nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import struct
import time
from pathlib import Path
from urllib.parse import quote

from docutils import nodes
from sphinx.util import logging as sphinx_logging

LOGGER = sphinx_logging.getLogger(__name__)

#: Longest description kept (search engines show about 155 characters).
DESCRIPTION_LENGTH = 155


def _thebe_enabled(app) -> bool:
    """Whether the book uses Thebe (``launch_buttons.thebe`` or ``always_load``)."""
    launch = (app.config.html_theme_options or {}).get("launch_buttons") or {}
    thebe_config = getattr(app.config, "thebe_config", None)
    always = isinstance(thebe_config, dict) and thebe_config.get("always_load")
    return bool(launch.get("thebe") or always)


def _is_thebe(asset) -> bool:
    filename = str(getattr(asset, "filename", "") or "")
    body = str((getattr(asset, "attributes", None) or {}).get("body", ""))
    return "thebe" in filename or "THEBE_JS_URL" in body


def _asset_key(asset):
    attributes = getattr(asset, "attributes", None) or {}
    return (str(getattr(asset, "filename", "") or ""), tuple(sorted(attributes.items())))


def _describe(doctree) -> str:
    """The start of the page's first paragraph of prose, as one line."""
    for paragraph in doctree.findall(nodes.paragraph):
        # Skip text inside admonitions, figures, tables, notes and code cells.
        parent, skip = paragraph.parent, False
        while parent is not None:
            if isinstance(parent, (nodes.Admonition, nodes.figure, nodes.table,
                                   nodes.footnote, nodes.citation, nodes.field_list)) or (
                "cell" in (parent.get("classes") or []) if isinstance(parent, nodes.Element) else False
            ):
                skip = True
                break
            parent = parent.parent
        if skip:
            continue
        text = re.sub(r"\s+", " ", paragraph.astext()).strip()
        if len(text) >= 40:
            return _shorten(text)
    return ""


def _shorten(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _attribute(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;")
            .replace("<", "&lt;").replace(">", "&gt;"))


# --- Deferred scripts -----------------------------------------------------------

_SCRIPT_TAG = re.compile(r"^<script(?P<attrs>[^>]*)>(?P<body>.*)</script>$", re.S)
#: An inline snippet that only declares variables with literal values
#: (``let toggleHintShow = 'Click to show';``): it needs nothing, and a
#: deferred script may read it at once (togglebutton.js does, when it runs
#: after the page is parsed), so it stays inline and runs first.
_DECLARATIONS = re.compile(
    r"""^(?:\s*(?:let|var|const)\s+\w+\s*=\s*(?:'[^'\\]*'|"[^"\\]*"|[\w.-]+)\s*;)+\s*$""")
#: Scripts left as they are: already deferred or async, modules (deferred
#: anyway), and data blocks (a ``type`` that is not JavaScript).
_LEAVE_SCRIPT = re.compile(r'\s(?:defer|async)\b|\stype="(?!text/javascript")')


def deferred_js_tag(js_tag):
    """Sphinx's ``js_tag``, writing every script deferred, in document order.

    A script file gets ``defer``; an inline snippet becomes a deferred script
    whose ``src`` is a ``data:`` URL of the same text (an inline script runs at
    once even with ``defer``, before the files it configures or uses), except
    a snippet that only declares variables (:data:`_DECLARATIONS`).
    """
    if getattr(js_tag, "convbook_deferred", False):
        return js_tag

    def tag(js):
        written = js_tag(js)
        match = _SCRIPT_TAG.match(written.strip())
        if not match or _LEAVE_SCRIPT.search(match["attrs"]):
            return written
        if " src=" in match["attrs"]:
            return f"<script defer{match['attrs']}></script>"
        body = match["body"].strip()
        if not body or _DECLARATIONS.match(body):
            return written
        url = "data:text/javascript," + quote(body, safe="")
        return f'<script defer{match["attrs"]} src="{url}"></script>'

    tag.convbook_deferred = True
    return tag


# --- Figures: sizes, lazy loading ---------------------------------------------------

#: Figures after this much of a page's text (about a phone's first screen) are
#: loaded lazily; the browser fetches them as the reader scrolls near them.
EAGER_TEXT = 400
_IMG_TAG = re.compile(r"<img\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")


def png_size(path: Path) -> tuple[int, int] | None:
    """A PNG's width and height in pixels, from its header; None if not a PNG."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(24)
    except OSError:
        return None
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def sized_lazy_images(app, pagename: str, body: str) -> str:
    """Give each figure its ``width``/``height`` and, below the first screen, ``loading="lazy"``."""
    sources = {name: Path(app.srcdir, source) for source, name in (getattr(app.builder, "images", None) or {}).items()}
    pieces, done, text = [], 0, 0
    for match in _IMG_TAG.finditer(body):
        tag = match.group(0)
        text += len(_TAG.sub("", body[done:match.start()]).strip())
        pieces.append(body[done:match.start()])
        done = match.end()
        source = re.search(r'\ssrc="(?:[^"]*/)?_images/([^"/]+)"', tag)
        if not source:
            pieces.append(tag)
            continue
        extra = ""
        size = None
        if source[1] in sources:
            size = png_size(sources[source[1]])
        if size is None:
            size = png_size(Path(app.outdir, "_images", source[1]))
        if size and not re.search(r"\s(?:width|height)=", tag):
            extra += f' width="{size[0]}" height="{size[1]}"'
        if text > EAGER_TEXT and " loading=" not in tag:
            extra += ' loading="lazy"'
        if " decoding=" not in tag:
            extra += ' decoding="async"'
        pieces.append(tag.replace("<img", "<img" + extra, 1))
    pieces.append(body[done:])
    return "".join(pieces)


#: Pygments token classes that the themes' code styles (a11y-high-contrast
#: light and dark) colour exactly as the code block's own text: names,
#: punctuation, whitespace. tests/test_site.py checks that against the built
#: pygments.css, so a theme with other colours fails it.
PLAIN_TOKEN_CLASSES = ("n", "p", "w")
_PRE = re.compile(r"<pre\b[^>]*>.*?</pre>", re.S)
_PLAIN_TOKEN = re.compile(r'<span class="(?:%s)">([^<]*)</span>' % "|".join(PLAIN_TOKEN_CLASSES))


def plain_code_tokens(body: str) -> str:
    """Code blocks without a ``<span>`` for tokens drawn in the text's own colour.

    A long chapter's listings hold thousands of them (2,200 of the
    layer-matrix page's 8,900 elements): a phone styles and lays out each
    one before the first paint, for nothing it shows.
    """
    return _PRE.sub(lambda pre: _PLAIN_TOKEN.sub(r"\1", pre.group(0)), body)


def page_context(app, pagename, templatename, context, doctree):
    """Fix the scripts and add a meta description, page by page."""
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        # docutils marks each reference as role="doc-biblioentry" inside a
        # role="list": DPUB-ARIA deprecated that role and axe rejects it on a
        # <div> (aria-allowed-role). A list's items are role="listitem".
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')
    scripts = context.get("script_files")
    if scripts is not None:
        keep_thebe = _thebe_enabled(app)
        seen, kept = set(), []
        for asset in scripts:
            key = _asset_key(asset)
            if key in seen or (not keep_thebe and _is_thebe(asset)):
                continue
            seen.add(key)
            kept.append(asset)
        scripts[:] = kept
    styles = context.get("css_files")
    if styles is not None and not _thebe_enabled(app):
        styles[:] = [css for css in styles if "thebe" not in str(getattr(css, "filename", ""))]
    # sphinx-design's stylesheet (8 kB compressed, render-blocking) and tab
    # script only where the page uses one of its components.
    if not re.search(r'class="[^"]*\bsd-', context.get("body") or ""):
        if styles is not None:
            styles[:] = [css for css in styles if "sphinx-design" not in str(getattr(css, "filename", ""))]
        if scripts is not None:
            scripts[:] = [js for js in scripts if "design-tabs" not in str(getattr(js, "filename", "") or "")]

    # Not on the search page: Sphinx's search.html loads searchtools.js
    # itself, undeferred, and it needs doctools.js to have run.
    if "js_tag" in context and pagename != "search":
        context["js_tag"] = deferred_js_tag(context["js_tag"])
    if context.get("body") and "pathto" in context:
        context["body"] = sized_lazy_images(app, pagename, context["body"])
    if context.get("body"):
        context["body"] = plain_code_tokens(context["body"])

    metatags = context.get("metatags", "") or ""
    if 'name="description"' in metatags:
        return
    description = _describe(doctree) if doctree is not None else ""
    if not description:
        title = re.sub(r"<[^>]+>", "", context.get("title") or "")
        book = app.config.html_title or app.config.project
        description = f"{title}: a page of {book}." if title else f"{book}."
    context["metatags"] = metatags + f'\n<meta name="description" content="{_attribute(description)}" />'


def drop_thebe_nodes(app, doctree, docname):
    """Remove sphinx-thebe's per-page configuration when Thebe is off."""
    if _thebe_enabled(app):
        return
    for raw in list(doctree.findall(nodes.raw)):
        text = raw.astext()
        if "x-thebe-config" in text or text.strip().startswith("<script>kernelName"):
            raw.parent.remove(raw)


#: Ids that sphinx-exercise gives every exercise's or solution's body.
REPEATED_IDS = ("exercise-content", "solution-content")


def unique_exercise_ids(app, doctree, docname):
    """Number the repeated ids of sphinx-exercise's bodies: ``exercise-content-2``."""
    counts: dict[str, int] = {}
    for section in doctree.findall(nodes.section):
        ids = section.get("ids") or []
        for position, name in enumerate(ids):
            if name in REPEATED_IDS:
                counts[name] = counts.get(name, 0) + 1
                if counts[name] > 1:
                    ids[position] = f"{name}-{counts[name]}"


def solution_titles_open_their_solution(app, doctree, docname):
    """Make the exercise link in a solution's title plain text, so that the whole bar toggles.

    togglebutton opens a solution on a click on its ``.admonition-title``; a
    click on the link inside it followed the link instead. The exercise is
    the box right above its solution, so the bar needs no link to it.
    """
    from sphinx_exercise.nodes import solution_node, solution_start_node

    for solution in doctree.findall(lambda node: isinstance(node, (solution_node, solution_start_node))):
        title = solution.children[0] if solution.children else None
        if isinstance(title, nodes.title):
            for reference in list(title.findall(nodes.reference)):
                reference.replace_self(reference.children)


# --- PNG optimisation ---------------------------------------------------------

#: oxipng's optimisation level: 2 is its default; 4 tries more filters for
#: about 1 % more at five times the time.
OXIPNG_LEVEL = 2


def optimise_png(data: bytes) -> bytes:
    """The same picture, losslessly re-encoded as small as oxipng makes it.

    oxipng reduces the picture first where no pixel changes (an opaque alpha
    channel dropped, gray or a palette where the colours allow), then tries
    PNG's row filters and compresses with libdeflate.

    Parameters
    ----------
    data : bytes
        A PNG file.

    Returns
    -------
    bytes
        A PNG file with the same pixels (and resolution), or ``data`` itself
        when nothing smaller was found.
    """
    import oxipng

    # "safe" keeps the chunks that change how the picture shows, pHYs (its
    # resolution, which the PDF prints by) among them.
    result = oxipng.optimize_from_memory(data, level=OXIPNG_LEVEL, strip=oxipng.StripChunks.safe())
    return result if len(result) < len(data) else data


def optimise_images(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    images = Path(app.outdir) / "_images"
    if not images.is_dir():
        return
    cache = _png_cache(app)
    cache.mkdir(parents=True, exist_ok=True)
    # The English and Korean builds finish at about the same time with the
    # same figures: each optimises those the other has not claimed, then
    # takes the other's results from the cache.
    claimed_elsewhere = []
    for png in sorted(images.glob("*.png")):
        data = png.read_bytes()
        cached = cache / f"{hashlib.sha256(data).hexdigest()}.png"
        if not cached.exists():
            lock = cached.with_name(f".{cached.name}.lock")
            if not _claim(lock):
                claimed_elsewhere.append((png, data, cached))
                continue
            try:
                _optimise_into(cache, cached, data)
            finally:
                lock.unlink(missing_ok=True)
        _use(cached, png, data)
    deadline = time.monotonic() + PNG_WAIT_S
    for png, data, cached in claimed_elsewhere:
        while not cached.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if not cached.exists():  # the other build stopped: optimise it here
            _optimise_into(cache, cached, data)
        _use(cached, png, data)


#: How long a build waits for the figures another build is optimising; a
#: claim older than this was left by a build that stopped.
PNG_WAIT_S = 120.0


def _claim(lock: Path) -> bool:
    """Claim a figure for this build (True), unless another build holds a fresh claim."""
    try:
        os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        try:
            stale = time.time() - lock.stat().st_mtime > PNG_WAIT_S
        except FileNotFoundError:  # released meanwhile: the result is in the cache
            return False
        if stale:
            lock.unlink(missing_ok=True)
            return _claim(lock)
        return False


def _optimise_into(cache: Path, cached: Path, data: bytes) -> None:
    smaller = optimise_png(data)
    # Remember both the original and the result as already optimal.
    _write_atomically(cache / f"{hashlib.sha256(smaller).hexdigest()}.png", smaller)
    _write_atomically(cached, smaller)


def _use(cached: Path, png: Path, data: bytes) -> None:
    if cached.stat().st_size < len(data):
        shutil.copyfile(cached, png)


def _png_cache(app) -> Path:
    """One folder of optimised PNGs for every build that shares an execution cache.

    The Korean, PDF and fork builds read English's execution cache and draw
    the same figures, so they find them already optimised beside it.
    """
    from convbook_freshness import beside_the_execution_cache

    return beside_the_execution_cache(app, "convbook-png-cache")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` so that a build reading ``path`` at the same time sees all of it or nothing."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


# --- Icons: the Font Awesome subset ---------------------------------------------------

#: Where pydata-sphinx-theme puts Font Awesome's web fonts in the site.
ICON_FONTS = "_static/vendor/fontawesome/webfonts"
#: ``.fa-bars:before,.fa-navicon:before{content:"\f0c9"}``: Font Awesome's icon table.
_ICON_RULE = re.compile(r'((?:\.fa-[\w-]+:{1,2}(?:before|after),?)+)\{content:"\\([0-9a-f]{4})"\}')
_ICON_CLASS = re.compile(r"\bfa-[a-z0-9-]+")
_CLASS_ATTRIBUTE = re.compile(r'class="([^"]*)"')


def icons_in_use(site: Path) -> set[int]:
    """The code points of every Font Awesome icon the built site can show."""
    table: dict[str, int] = {}
    used: set[int] = set()
    for css in sorted((site / "_static").rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        for selectors, code in _ICON_RULE.findall(text):
            for name in _ICON_CLASS.findall(selectors):
                table[name] = int(code, 16)
        # Outside the table, a stylesheet names icons it draws itself (the
        # admonitions', a dropdown's chevron): as characters or as escapes.
        rest = _ICON_RULE.sub("", text)
        used |= {ord(char) for char in rest if 0xE000 <= ord(char) <= 0xF8FF}
        used |= {int(code, 16) for code in re.findall(r'\\([ef][0-9a-f]{3})(?![0-9a-f])', rest)}
    names: set[str] = set()
    for page in site.rglob("*.html"):
        for classes in _CLASS_ATTRIBUTE.findall(page.read_text(encoding="utf-8", errors="replace")):
            names.update(_ICON_CLASS.findall(classes))
    # Scripts that add icons (the theme's search dialog), not Font Awesome's own.
    for script in (site / "_static").rglob("*.js"):
        if "fontawesome" not in script.name:
            names.update(_ICON_CLASS.findall(script.read_text(encoding="utf-8", errors="replace")))
    return used | {table[name] for name in names if name in table}


def subset_font(data: bytes, codepoints: set[int], flavor: str | None) -> bytes:
    """The font with only the glyphs of ``codepoints`` (WOFF2 when ``flavor`` says so)."""
    import logging

    from fontTools import subset
    from fontTools.ttLib import TTFont

    # fontTools logs every step at INFO; a build prints only what matters.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    options = subset.Options()
    options.flavor = flavor
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def prune_icon_rules(css: str, codepoints: set[int]) -> str:
    """The stylesheet without the icon table's rules for icons the site never shows."""
    return _ICON_RULE.sub(lambda rule: rule.group(0) if int(rule[2], 16) in codepoints else "", css)


def subset_icon_fonts(app, exception):
    """Cut each Font Awesome font in the site down to the icons it shows.

    The theme's stylesheet loses the table rules of the other icons too
    (about 1,800 of them, 20 kB of the 65 kB it weighs compressed), which
    every page downloads before its first paint.
    """
    if exception is not None or app.builder.format != "html":
        return
    site = Path(app.outdir)
    fonts = site / ICON_FONTS
    if not fonts.is_dir():
        return
    codepoints = icons_in_use(site)
    for css in sorted((site / "_static").rglob("*.css")):
        text = css.read_text(encoding="utf-8")
        if len(_ICON_RULE.findall(text)) > 100:
            pruned = prune_icon_rules(text, codepoints)
            if pruned != text:
                css.write_text(pruned, encoding="utf-8")
    cache = Path(app.doctreedir).parent / "convbook-font-cache"
    cache.mkdir(parents=True, exist_ok=True)
    key = ",".join(f"{code:x}" for code in sorted(codepoints)).encode()
    for font in sorted(fonts.glob("*")):
        if font.suffix not in (".woff2", ".ttf"):
            continue
        data = font.read_bytes()
        cached = cache / f"{hashlib.sha256(data + key).hexdigest()}{font.suffix}"
        if not cached.exists():
            smaller = subset_font(data, codepoints, "woff2" if font.suffix == ".woff2" else None)
            cached.write_bytes(smaller)
            # A subset already cut to these icons stays as it is.
            (cache / f"{hashlib.sha256(smaller + key).hexdigest()}{font.suffix}").write_bytes(smaller)
        if cached.read_bytes() != data:
            shutil.copyfile(cached, font)


def _exercise_directive_naming_its_file(directive: type) -> type:
    """``directive`` whose duplicate-label warning names the page's own file and line (issue 25).

    sphinx-exercise passes the page's path without its suffix as the
    warning's location, which Sphinx then reports as ``book/sharpen.rst``
    for ``book/sharpen.md``; ``(docname, line)`` lets Sphinx name the real
    file.
    """

    def duplicate_labels(self, label):
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        if not label or label not in registry:
            return False
        other = self.env.doc2path(registry[label]["docname"])
        LOGGER.warning(f"duplicate label: {label}; other instance in {other}",
                       location=(self.env.docname, self.lineno), color="red")
        return True

    return type(directive.__name__, (directive,), {"duplicate_labels": duplicate_labels})


def setup(app):
    from sphinx_exercise.directive import ExerciseDirective, SolutionDirective

    app.setup_extension("sphinx_exercise")
    app.add_directive("exercise", _exercise_directive_naming_its_file(ExerciseDirective), override=True)
    app.add_directive("solution", _exercise_directive_naming_its_file(SolutionDirective), override=True)
    app.connect("html-page-context", page_context, priority=990)
    app.connect("doctree-resolved", drop_thebe_nodes, priority=990)
    app.connect("doctree-resolved", unique_exercise_ids, priority=990)
    app.connect("doctree-resolved", solution_titles_open_their_solution, priority=990)
    app.connect("build-finished", optimise_images, priority=990)
    app.connect("build-finished", subset_icon_fonts, priority=990)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
