"""Sphinx extension: the book's math typeset at build time with KaTeX (issue 10).

Loaded through ``sphinx.local_extensions`` in ``_config.yml``, beside
``sphinxcontrib.katex`` (``katex_prerender: true``), which renders every
formula while the pages are written, by asking a Node.js process that runs
KaTeX. The pages carry the finished math: KaTeX's HTML, which the reader sees
and can select and print, and MathML beside it, which screen readers read.
No math-typesetting script runs in the reader's browser.

What this extension adds:

* **KaTeX from npm.** The renderer uses ``node_modules/katex`` (pinned in
  ``package.json``, installed by ``npm ci``, i.e. ``make setup``), not the copy
  bundled in the Python package, and the build stops with a clear message
  when it is missing.
* **Its stylesheet and fonts served by the site.** KaTeX's CSS and its WOFF2
  fonts are copied from the npm package into ``_static/katex/`` at build
  time (never committed), with ``sphinxcontrib-katex``'s few rules for
  numbered equations appended, as one file; the CSS asks only for WOFF2,
  which every current browser reads. The default points at a CDN: the site
  must read offline.
* **Only where there is math.** Pages without a formula do not load that
  stylesheet, and pages with one in their first screenful preload the one or
  two fonts that nearly every formula uses, so the first rendering is the
  last (:data:`PRELOAD_TEXT`).
* **Strict.** A formula KaTeX cannot parse would show as red TeX; it is a
  build warning instead (an error under ``-W``), with its page.
* **Valid MathML.** KaTeX writes an operator name alone in a script
  (``\\lambda_{\\max}``) as one child too many of the ``msub``; it gets
  wrapped (:func:`fix_mathml`), so the pages pass the Nu Html Checker.
* **A render server that starts reliably.** sphinxcontrib-katex could fail
  a build at random when Node.js was slow to listen (:func:`_start_server_process`).
* **From ``file://``.** Browsers refuse web fonts to pages read from disk
  (the offline zip); there the MathML, which needs no web font, is shown
  instead of KaTeX's HTML (``book/_templates/layout.html`` marks the page,
  ``book/_static/convbook.css`` swaps them).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
#: The npm package's build: katex.min.js (for Node), katex.min.css, fonts/.
KATEX_DIST = ROOT / "node_modules" / "katex" / "dist"
#: Where the site serves KaTeX's stylesheet and fonts, under _static/.
STATIC_FOLDER = "katex"
CSS_NAME = f"{STATIC_FOLDER}/katex.css"
#: sphinxcontrib-katex's own stylesheet, merged into CSS_NAME.
PACKAGE_CSS = "katex-math.css"

#: Every @font-face source but WOFF2 (WOFF and TrueType fallbacks).
_FALLBACK_SOURCES = re.compile(r',\s*url\([^)]*\.(?:woff|ttf)\)\s*format\("(?:woff|truetype)"\)')
#: A letter that KaTeX sets in math italic (KaTeX_Math), in its HTML.
_MATH_ITALIC = re.compile(r'class="[^"]*\bmathnormal\b')
_KATEX_ERROR = re.compile(r'<span class="katex-error" title="([^"]*)"[^>]*>(.*?)</span>', re.S)


def _using_katex(app) -> bool:
    return app.builder.format == "html" and getattr(app.builder, "math_renderer_name", None) == "katex"


#: Seconds for Node.js to start KaTeX, and for one formula: generous, as a
#: loaded two-core machine can be slow (the package's defaults are 5 s).
STARTUP_TIMEOUT = 60.0
RENDER_TIMEOUT = 60.0


def _start_server_process(cls, rundir, timeout):
    """Start KaTeX's render server and connect to it (sphinxcontrib-katex's, without its race).

    The package connects as soon as the socket file exists, but Node.js
    creates it a moment before it listens, so a build could fail at random
    with "Connection refused". This tries again until the server answers,
    and says so at once if Node.js exits.
    """
    import socket
    import time
    from subprocess import PIPE, Popen

    import sphinxcontrib.katex as katex

    socket_path = Path(rundir) / "katex.sock"
    process = Popen(cls.build_command(socket=socket_path), stdin=PIPE, stdout=PIPE, cwd=rundir)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise katex.KaTeXError(f"the KaTeX render server (node) exited with status {process.returncode}")
        if socket_path.is_socket():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(socket_path))
                return process, sock
            except (ConnectionRefusedError, FileNotFoundError):
                sock.close()
        if time.monotonic() > deadline:
            process.kill()
            raise cls.timeout_error(timeout)
        time.sleep(0.005)


# --- Valid MathML ----------------------------------------------------------------

MATHML = "http://www.w3.org/1998/Math/MathML"
#: MathML elements with a fixed number of children.
ARITY = {"msub": 2, "msup": 2, "msubsup": 3, "mfrac": 2, "mover": 2, "munder": 2, "munderover": 3, "mroot": 2}
#: U+2061 FUNCTION APPLICATION, which KaTeX puts after an operator name.
FUNCTION_APPLICATION = "\u2061"
_MATH_ELEMENT = re.compile(r"<math\b.*?</math>", re.S)


def fix_mathml(html: str) -> str:
    """KaTeX's HTML with its MathML made valid.

    For an operator name alone in a script or a fraction (``\\lambda_{\\max}``),
    KaTeX 0.16-0.19 writes the name and its function-application sign as two
    children of the ``msub`` (``<mi>max</mi><mo>&#x2061;</mo>``), one more than
    MathML allows: the Nu Html Checker rejects the page, and a screen reader
    may misread the script. The two become one ``mrow``.
    """
    import xml.etree.ElementTree as ET

    def fix(match):
        text = match.group(0)
        if FUNCTION_APPLICATION not in text:
            return text
        ET.register_namespace("", MATHML)
        root = ET.fromstring(text)
        changed = False
        for element in root.iter():
            arity = ARITY.get(element.tag.rpartition("}")[2])
            while arity and len(element) > arity:
                children = list(element)
                sign = next((i for i, child in enumerate(children) if i > 0
                             and child.tag == f"{{{MATHML}}}mo" and child.text == FUNCTION_APPLICATION), None)
                if sign is None:
                    break
                row = ET.Element(f"{{{MATHML}}}mrow")
                element.remove(children[sign - 1])
                element.remove(children[sign])
                row.extend([children[sign - 1], children[sign]])
                element.insert(sign - 1, row)
                changed = True
        return ET.tostring(root, encoding="unicode") if changed else text

    return _MATH_ELEMENT.sub(fix, html)


def _render_latex(render):
    """sphinxcontrib-katex's ``render_latex``, its MathML made valid (:func:`fix_mathml`)."""
    def render_latex(latex, options=None):
        return fix_mathml(render(latex, options))

    render_latex.convbook = True
    return render_latex


def config_inited(app, config):
    """Point sphinxcontrib-katex at the npm package and at the site's own CSS."""
    script = KATEX_DIST / "katex.min.js"
    if not script.is_file():
        raise ExtensionError(f"KaTeX is missing ({script}): run `make setup` (npm ci) to install it from npm")
    config.katex_js_path = str(script)
    config.katex_css_path = CSS_NAME
    if not config.katex_prerender:
        raise ExtensionError("set katex_prerender: true in _config.yml: the pages carry typeset math, "
                             "no math script runs in the browser")


def katex_stylesheet() -> str:
    """KaTeX's CSS (WOFF2 fonts only) and sphinxcontrib-katex's rules, as one stylesheet."""
    import sphinxcontrib.katex

    css = _FALLBACK_SOURCES.sub("", (KATEX_DIST / "katex.min.css").read_text(encoding="utf-8"))
    extra = (Path(sphinxcontrib.katex.__file__).parent / PACKAGE_CSS).read_text(encoding="utf-8")
    return f"{css}\n/* sphinxcontrib-katex's {PACKAGE_CSS} */\n{extra}"


def copy_katex_assets(app):
    """Write _static/katex/: the stylesheet and the WOFF2 fonts it names."""
    if not _using_katex(app):
        return
    target = Path(app.outdir) / "_static" / STATIC_FOLDER
    (target / "fonts").mkdir(parents=True, exist_ok=True)
    css = katex_stylesheet()
    css_file = Path(app.outdir) / "_static" / CSS_NAME
    if not css_file.is_file() or css_file.read_text(encoding="utf-8") != css:
        css_file.write_text(css, encoding="utf-8")
    for font in sorted(set(re.findall(r"url\(fonts/([^)]+\.woff2)\)", css))):
        source, copy = KATEX_DIST / "fonts" / font, target / "fonts" / font
        if not copy.is_file() or copy.stat().st_size != source.stat().st_size:
            shutil.copyfile(source, copy)


#: Pages whose first formula comes within this much text (about a phone's
#: first screen) preload KaTeX's main fonts: the formula is then drawn once,
#: in its font, instead of being laid out in a fallback font and again when
#: the font arrives (a layout shift). Further down, the preload would only
#: take bandwidth from what the first screen needs.
PRELOAD_TEXT = 1000
_TAG = re.compile(r"<[^>]+>")


def _text_before_math(body: str) -> int:
    """How many characters of text come before the page's first formula."""
    first = body.find('class="katex')
    return len(_TAG.sub("", body[:first])) if first >= 0 else len(body)


def page_context(app, pagename, templatename, context, doctree):
    """KaTeX's stylesheet and font preloads on pages with math only; report bad TeX."""
    if not _using_katex(app):
        return
    body = context.get("body") or ""
    has_math = 'class="katex' in body
    styles = context.get("css_files")
    if styles is not None:
        def wanted(css):
            name = str(getattr(css, "filename", css) or "").removeprefix("_static/")
            return name != PACKAGE_CSS and (has_math or name != CSS_NAME)
        styles[:] = [css for css in styles if wanted(css)]
    for title, tex in _KATEX_ERROR.findall(body):
        logger.warning("KaTeX cannot typeset %s: %s", tex.strip()[:80], title,
                       location=pagename, type="convbook", subtype="math")
    if has_math and "pathto" in context and _text_before_math(body) <= PRELOAD_TEXT:
        fonts = ["KaTeX_Main-Regular.woff2"]
        if _MATH_ITALIC.search(body):
            fonts.append("KaTeX_Math-Italic.woff2")
        links = "".join(
            f'\n<link rel="preload" as="font" type="font/woff2" crossorigin '
            f'href="{context["pathto"](f"_static/{STATIC_FOLDER}/fonts/{font}", 1)}" />'
            for font in fonts)
        context["metatags"] = (context.get("metatags") or "") + links


def setup(app):
    import sphinxcontrib.katex as katex

    app.setup_extension("sphinxcontrib.katex")
    katex.STARTUP_TIMEOUT = STARTUP_TIMEOUT
    katex.RENDER_TIMEOUT = RENDER_TIMEOUT
    # The package's renderer, used by its page writer through the module.
    if not getattr(katex.render_latex, "convbook", False):
        katex.render_latex = _render_latex(katex.render_latex)
    if os.name == "posix":
        katex.KaTeXServer.start_server_process = classmethod(_start_server_process)
    app.connect("config-inited", config_inited)
    app.connect("builder-inited", copy_katex_assets)
    # Before convbook_site's (990), which adds the meta description last.
    app.connect("html-page-context", page_context, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
