"""No English left in the Korean interface (issue 24 §4): what a /ko/ page shows, and the check.

``tests/test_site.py`` collects :data:`INTERFACE_TEXT_JS` during its visit
of every Korean page (no visit of its own) and fails on every Latin-script
word :func:`english_words` finds there: the page's text and the labels a
screen reader or a tooltip gives (``title``, ``aria-label``, ``alt``,
``placeholder``, ``data-tooltip``), its ``<noscript>`` text and
sphinx-copybutton's messages ("Copied!" shows only after a click), outside
code, outputs, formulas and citations.

Latin script that belongs on a Korean page is not counted: a gloss in
parentheses (스트라이드(stride)), a quoted word (“down”), numbers and sizes
(3x3, 1.0e-06), file names and addresses, one-letter symbols (x, K, W), and
the names in ``locale/ko/latin-allowlist.txt`` (each with its reason).
"""

from __future__ import annotations

import re
from pathlib import Path

ALLOWLIST = Path(__file__).resolve().parents[1] / "locale" / "ko" / "latin-allowlist.txt"

#: A page's interface text, as strings: see the module's docstring.
INTERFACE_TEXT_JS = """() => {
    const SKIP = 'pre, code, kbd, .highlight, .cell_output, .output, .katex, .math, script, style, '
        + '.bibliography, .citation, .bibtex-citation, cite';
    const texts = [];
    const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!parent || parent.closest(SKIP) || (parent.closest('head') && parent.tagName !== 'TITLE')) continue;
        // With scripting on, a <noscript>'s content is its markup, as text.
        texts.push(parent.tagName === 'NOSCRIPT' ? node.textContent.replace(/<[^>]*>/g, ' ') : node.textContent);
    }
    const names = ['title', 'aria-label', 'alt', 'placeholder', 'data-tooltip', 'data-toggle-hint'];
    for (const el of document.querySelectorAll(names.map((name) => `[${name}]`).join(', '))) {
        if (el.closest(SKIP) && !el.matches('.copybtn')) continue;
        for (const name of names) if (el.hasAttribute(name)) texts.push(el.getAttribute(name));
    }
    const description = document.querySelector('meta[name="description"]');
    if (description) texts.push(description.content);
    if (typeof messages !== 'undefined' && typeof locale !== 'undefined' && messages[locale])
        texts.push(...Object.values(messages[locale]));
    return texts.map((text) => text.replace(/\\s+/g, ' ').trim()).filter(Boolean);
}"""

_NOT_WORDS = [
    re.compile(r"\([^()]*\)"),                                   # glosses: 스트라이드(stride)
    re.compile(r"\([^()]*$|^[^()]*\)"),                           # a gloss split by a link
    re.compile(r"[“\"‘][^”\"’]*[”\"’]"),                          # quoted words: “down”
    re.compile(r"\bhttps?://\S+"),                                # addresses
    re.compile(r"[\w.-]+\.(?:pdf|zip|md|ipynb|html|png|jpe?g|py|bib|svg)\b", re.I),  # file names
    re.compile(r"(?<![A-Za-z])\.(?:pdf|zip|md|ipynb)\b", re.I),  # the download menu's formats
    re.compile(r"(?<![A-Za-z0-9])\d+(?:\.\d+)?(?:[eE][+-]?\d+|x\d+)(?![A-Za-z0-9])"),  # 1.0e-06, 3x3
]
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9.+_-]*[A-Za-z0-9]|[A-Za-z]")


def load_allowlist(path: Path = ALLOWLIST) -> dict[str, str]:
    """``name -> reason`` from the allowlist: ``name: reason`` lines, ``#`` comments."""
    allowed = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(":")
        if not reason.strip():
            raise ValueError(f"{path}:{number}: {name!r} has no reason")
        allowed[name.strip()] = reason.strip()
    return allowed


def english_words(texts: list[str], allowed) -> list[str]:
    """The Latin-script words of ``texts`` that a Korean page should not show, each with its text.

    >>> english_words(["스트라이드(stride)는 2", "Copied!", "PyTorch로 3x3에서", "x와 “down”"], {"PyTorch"})
    ["'Copied' in 'Copied!'"]
    """
    found = []
    for text in texts:
        rest = text
        for pattern in _NOT_WORDS:
            rest = pattern.sub(" ", rest)
        for word in _LATIN_WORD.findall(rest):
            if len(word) > 1 and word not in allowed:
                found.append(f"{word!r} in {text[:100]!r}")
    return found
