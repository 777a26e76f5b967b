"""The package's code listings show the lines that teach (issue 21, §3).

A chapter shows an object of ``convbook`` with ``literalinclude`` and
``:pyobject:``; ``book/_ext/convbook_listings.py`` shows it without its
docstrings and input checks, and folds the full source below it (an HTML
``<details>``, and the same in the notebooks). These tests read the built
pages and compare both parts with the package itself, read by Python's
``inspect`` (not by the extension): the full source is the object's source,
the shown one is the same code in the same order less lines, and none of the
lines it leaves out teaches: every docstring line and every ``raise`` is
gone, and so is every call of a checker of ``convbook/_validation.py``.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from convbook_listings import part_of, teaching_source  # noqa: E402

import convbook._validation as validation  # noqa: E402

_INCLUDE = re.compile(r"```\{literalinclude\} \.\./code/convbook/(\w+)\.py\n((?::[\w-]+:.*\n)*)```")
#: The functions of convbook/_validation.py: a listing that teaches calls none of them.
CHECKERS = sorted(name for name, f in vars(validation).items()
                  if inspect.isfunction(f) and f.__module__ == validation.__name__)


def package_listings() -> list[tuple[str, str, str]]:
    """(page, module, object) of every listing of the package's code in the chapters."""
    found = []
    for md in sorted((ROOT / "book").glob("*.md")):
        for match in _INCLUDE.finditer(md.read_text(encoding="utf-8")):
            options = dict(re.findall(r":([\w-]+): *(.*)", match.group(2)))
            if "pyobject" in options:
                found.append((md.stem, match.group(1), options["pyobject"]))
                PARTS[md.stem, match.group(1), options["pyobject"]] = {
                    key: value for key, value in options.items() if key in ("start-at", "end-at", "dedent")}
    return found


#: (page, module, object) -> the :start-at:, :end-at: and :dedent: that narrow a listing.
PARTS: dict[tuple[str, str, str], dict[str, str]] = {}
LISTINGS = package_listings()


def package_object(module: str, dotted: str):
    obj = importlib.import_module(f"convbook.{module}")
    for name in dotted.split("."):
        obj = getattr(obj, name)
    return obj


class _Listings(HTMLParser):
    """The page's code blocks, in order, each marked as folded (inside the full source's details) or not."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[list] = []  # [text, folded, summary]
        self._pre = 0
        self._details: list[bool] = []
        self._summary: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "details":
            self._details.append("convbook-full-source" in (attrs.get("class") or "").split())
        elif tag == "summary" and self._details and self._details[-1]:
            self._summary = ""
        elif tag == "pre":
            self._pre += 1
            self.blocks.append(["", any(self._details), None])

    def handle_endtag(self, tag):
        if tag == "details" and self._details:
            self._details.pop()
        elif tag == "pre":
            self._pre -= 1
        elif tag == "summary" and self._summary is not None:
            self._last_summary, self._summary = self._summary, None

    def handle_data(self, data):
        if self._pre:
            self.blocks[-1][0] += data
        elif self._summary is not None:
            self._summary += data


def shown_and_folded(html: str) -> list[tuple[str, str]]:
    """Every (shown listing, folded full source) pair of a page: a code block right before a folded one."""
    parser = _Listings()
    parser.feed(html)
    blocks = parser.blocks
    return [(blocks[i - 1][0], block[0]) for i, block in enumerate(blocks) if block[1] and i and not blocks[i - 1][1]]


def check_listing(shown: str, full: str, obj, part: dict | None = None) -> None:
    part = part or {}
    source = inspect.getsource(obj)
    assert full.rstrip("\n") == source.rstrip("\n"), "the folded source is not the package's"
    indent = " " * int(part.get("dedent", 0))
    shown_lines = [indent + line if line else line for line in shown.rstrip("\n").splitlines()]
    full_lines = full.rstrip("\n").splitlines()
    # The same code in the same order, less lines: a subsequence of the source.
    remaining = iter(full_lines)
    assert all(any(line == candidate for candidate in remaining) for line in shown_lines), \
        f"the shown listing is not the package's code less some lines:\n{shown}"
    # It runs from the object's first line to its last, or from the line of
    # :start-at: to the line of :end-at: (the first ones that hold them).
    first = next(line for line in full_lines if part["start-at"] in line) if "start-at" in part else full_lines[0]
    last = full_lines[-1]
    if "end-at" in part:
        last = next(line for line in full_lines[full_lines.index(first):] if part["end-at"] in line)
    assert shown_lines[0] == first and shown_lines[-1] == last
    assert len(shown_lines) < len(full_lines)
    # Nothing of a docstring ...
    docs = [inspect.getdoc(obj) or ""] + [inspect.getdoc(m) or "" for m in vars(obj).values()
                                          if inspect.isfunction(m)] if inspect.isclass(obj) else [inspect.getdoc(obj) or ""]
    for line in "\n".join(docs).splitlines():
        if len(line.split()) >= 4:  # a docstring's sentence, not a bare type or name
            assert line.strip() not in shown, f"a docstring line is shown: {line.strip()!r}"
    assert '"""' not in shown
    # ... and no input check.
    assert not re.search(r"^\s*raise\b", shown, re.M), f"a raise is shown:\n{shown}"
    # A checker called for its check alone, or re-binding an argument to its
    # checked form (image = as_image(image)); a checker that makes a new array
    # the code goes on with (targets = as_filters(target_filters)) does work.
    checks = "|".join(CHECKERS)
    shown_checks = re.findall(rf"^\s*(?:({checks})\(|(\w+) = (?:{checks})\(\2\b)", shown, re.M)
    assert not shown_checks, f"input checks shown: {shown_checks}"


def test_teaching_source_drops_docstrings_and_checks_only():
    source = '''
from ._validation import as_image, check_kernel_fits


def _check_rate(rate, momentum):
    return rate, momentum


def scaled(image, kernel, rate=1.0, momentum=0.0):
    """Docstring line one.

    More docstring.
    """
    image = as_image(image)
    # the kernel must fit
    check_kernel_fits(image, kernel.shape)
    rate, momentum = _check_rate(rate, momentum)
    if rate < 0:
        raise ValueError("rate")
    for name in ("a", "b"):
        if not name:
            raise ValueError(name)

    total = image * rate      # teaches
    if total.sum() > 0:
        total = total - momentum
    smaller = as_image(total[:1])
    return smaller
'''
    shown, full = teaching_source(source, "scaled")
    assert full.startswith("def scaled(") and full.rstrip().endswith("return smaller")
    assert shown == (
        "def scaled(image, kernel, rate=1.0, momentum=0.0):\n"
        "    total = image * rate      # teaches\n"
        "    if total.sum() > 0:\n"
        "        total = total - momentum\n"
        "    smaller = as_image(total[:1])\n"
        "    return smaller\n"
    )


def test_part_of_narrows_to_the_marked_lines():
    shown = "def f(x):\n    y = x\n    for i in range(3):\n        y = y + i\n    return y\n"
    assert part_of(shown, {}) == shown
    assert part_of(shown, {"start-at": "for i", "end-at": "y + i", "dedent": "4"}) == (
        "for i in range(3):\n    y = y + i\n")
    for bad in ({"start-at": "while"}, {"end-at": "while"}, {"dedent": "8"}):
        with pytest.raises(ValueError):
            part_of(shown, bad)


def test_every_package_listing_is_found():
    # The chapters show the package's code in many places; a changed
    # literalinclude syntax would otherwise leave this file testing nothing.
    assert len(LISTINGS) >= 20
    pages = {page for page, _, _ in LISTINGS}
    assert {"filters", "conv-layer", "im2col", "learning", "trained-cnn"} <= pages


@pytest.mark.book
@pytest.mark.parametrize("language", ["en", "ko"])
def test_listings_show_the_teaching_lines_and_fold_the_full_source(site, language):
    folder = site if language == "en" else site / language
    for page in sorted({page for page, _, _ in LISTINGS}):
        html = (folder / "book" / f"{page}.html").read_text(encoding="utf-8")
        pairs = shown_and_folded(html)
        objects = [(module, name) for p, module, name in LISTINGS if p == page]
        # Every listing on this page shortens its object (each has a docstring).
        assert len(pairs) == len(objects), f"{language}/{page}: {len(pairs)} folded listings for {objects}"
        for (shown, full), (module, name) in zip(pairs, objects):
            try:
                check_listing(shown, full, package_object(module, name), PARTS[page, module, name])
            except AssertionError as error:
                raise AssertionError(f"{language}/{page}: {module}.{name}: {error}") from None
        # The fold says what it holds, in the page's language.
        summary = "설명 문서와 입력 검사까지 담은 전체 코드" if language == "ko" else "Full source, with its docstring"
        assert html.count(f"<summary>{summary}") == len(objects), f"{language}/{page}: the fold's summary"


@pytest.mark.book
def test_notebooks_show_the_same_listings(site):
    for page in sorted({page for page, _, _ in LISTINGS}):
        notebook = nbformat.read(site / "notebooks" / f"{page}.ipynb", as_version=4)
        markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
        for _, module, name in [entry for entry in LISTINGS if entry[0] == page]:
            obj = package_object(module, name)
            full = inspect.getsource(obj).rstrip("\n")
            shown, _ = teaching_source(inspect.getsource(inspect.getmodule(obj)), name)
            shown = part_of(shown, PARTS[page, module, name])
            assert f"```python\n{shown.rstrip()}\n```" in markdown, f"{page}: {name}'s teaching lines"
            assert f"</summary>\n\n```python\n{full}\n```\n\n</details>" in markdown, f"{page}: {name}'s full source"
            check_listing(shown, full + "\n", obj, PARTS[page, module, name])
