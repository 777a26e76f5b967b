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
* **Math without layout shift.** MathJax typesets first with fallback
  fonts and again when its own fonts arrive, so lines with math grow and
  shrink and the text below jumps (Lighthouse measured a layout shift of
  0.16 on the glossary). Pages with math preload the MathJax fonts that
  nearly every formula uses, so the first typesetting is the last.
* **References that pass axe.** The bibliography's entries are list items
  (``role="listitem"`` in docutils' ``role="list"``), not the deprecated
  ``doc-biblioentry`` role.
* **Unique ids.** sphinx-exercise gives the body of every exercise the id
  ``exercise-content`` (and of every solution ``solution-content``), so a
  page with two exercises repeats an id: invalid HTML. Each gets a number.
* **Optimised figure PNGs.** Every PNG in ``_images`` is re-encoded without
  loss: gray when all its pixels are gray, a palette when it has at most 256
  colours, and with zlib's best compression. Results are cached by content,
  so a rebuild costs nothing.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
from pathlib import Path

from docutils import nodes

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

    metatags = context.get("metatags", "") or ""
    loads_mathjax = any("mathjax" in str(getattr(js, "filename", "") or "") for js in (scripts or []))
    if loads_mathjax and doctree is not None and "pathto" in context:
        for font in _math_fonts(doctree):
            href = context["pathto"](MATHJAX_FONTS + font, 1)
            metatags += f'\n<link rel="preload" as="font" type="font/woff" crossorigin href="{href}" />'
        context["metatags"] = metatags
    if 'name="description"' in metatags:
        return
    description = _describe(doctree) if doctree is not None else ""
    if not description:
        title = re.sub(r"<[^>]+>", "", context.get("title") or "")
        book = app.config.html_title or app.config.project
        description = f"{title}: a page of {book}." if title else f"{book}."
    context["metatags"] = metatags + f'\n<meta name="description" content="{_attribute(description)}" />'


#: Where sphinx-mathjax-offline puts MathJax 3's CHTML fonts in the site.
MATHJAX_FONTS = "_static/mathjax/output/chtml/fonts/woff-v2/"


def _math_fonts(doctree) -> list[str]:
    """The MathJax fonts a page's formulas will certainly need."""
    latex = " ".join(node.astext() for node in doctree.findall(
        lambda node: isinstance(node, (nodes.math, nodes.math_block))))
    if not latex.strip():
        return []
    fonts = ["MathJax_Zero.woff", "MathJax_Main-Regular.woff"]
    # A letter outside a \command is set in math italic.
    if re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", " ", latex)):
        fonts.append("MathJax_Math-Italic.woff")
    return fonts


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


# --- PNG optimisation ---------------------------------------------------------

def optimise_png(data: bytes) -> bytes:
    """The same picture, losslessly re-encoded as small as Pillow can."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    if image.mode in ("RGBA", "LA"):
        alpha = image.getchannel("A")
        if alpha.getextrema() == (255, 255):
            image = image.convert("RGB" if image.mode == "RGBA" else "L")
    if image.mode == "RGB":
        red, green, blue = image.split()
        if red.tobytes() == green.tobytes() == blue.tobytes():
            image = red
        elif image.getcolors(256) is not None:
            image = image.quantize(colors=256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
            # quantize is exact when there are at most 256 colours; check it.
            if image.convert("RGB").tobytes() != Image.open(io.BytesIO(data)).convert("RGB").tobytes():
                return data
    out = io.BytesIO()
    save = {"optimize": True}
    if "dpi" in image.info:
        save["dpi"] = image.info["dpi"]
    image.save(out, format="PNG", **save)
    result = out.getvalue()
    return result if len(result) < len(data) else data


def optimise_images(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    images = Path(app.outdir) / "_images"
    if not images.is_dir():
        return
    cache = Path(app.doctreedir).parent / "convbook-png-cache"
    cache.mkdir(parents=True, exist_ok=True)
    for png in images.glob("*.png"):
        data = png.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        cached = cache / f"{digest}.png"
        if not cached.exists():
            smaller = optimise_png(data)
            # Remember both the original and the result as already optimal.
            cached.write_bytes(smaller)
            (cache / f"{hashlib.sha256(smaller).hexdigest()}.png").write_bytes(smaller)
        if cached.stat().st_size < len(data):
            shutil.copyfile(cached, png)


def setup(app):
    app.connect("html-page-context", page_context, priority=990)
    app.connect("doctree-resolved", drop_thebe_nodes, priority=990)
    app.connect("doctree-resolved", unique_exercise_ids, priority=990)
    app.connect("build-finished", optimise_images, priority=990)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
