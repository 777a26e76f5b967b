"""Deep dives, set apart (issue 21, §2).

Every deep dive is a section titled "Going deeper: ..." ("더 깊이: ..." in
Korean), with the class ``going-deeper`` (``book/_ext/convbook_deeper.py``):
open, set apart by a rule and a tint on screen (light and dark) and on paper,
a rule above its heading in the notebooks. The main path runs without the
deep dives: no main-path code cell uses a name that only a deep dive defines
(a static check over the chapters' sources, which the build also runs).
"""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from conftest import TRANSLATIONS  # noqa: E402
from convbook_deeper import PREFIX, code_cells, main_path_violations  # noqa: E402

#: The deep dives issue 21 names: (page, section id, the old anchors it keeps).
DEEP_DIVES = [
    ("activation", "going-deeper-near-zero-not-exactly-zero", ["near-zero-not-exactly-zero"]),
    ("padding-stride", "going-deeper-which-input-columns-are-used", ["which-input-columns-are-used"]),
    ("why-convolution", "going-deeper-stride-and-pooling", []),
    ("bias-nonlinearity", "going-deeper-the-best-single-kernel-by-least-squares", []),
    ("receptive-field", "going-deeper-the-effective-receptive-field", ["the-effective-receptive-field"]),
    ("learning", "going-deeper-the-shape-of-the-loss", ["the-shape-of-the-loss", "learning-loss-shape"]),
    ("learning", "going-deeper-what-is-learned-last", ["what-is-learned-last", "learning-learned-last"]),
    ("classic-kernels", "going-deeper-sobel-or-prewitt-in-noise", ["classic-kernels-noise"]),
]
#: How a deep dive's title starts, per language (the Korean from the catalogs).
TITLE_PREFIX = {"en": PREFIX, "ko": "더 깊이:"}
CHAPTERS = sorted((ROOT / "book").glob("*.md"))


class Sections(HTMLParser):
    """Each <section>: its id, classes, the ids of the empty spans before its heading, its heading's text."""

    def __init__(self):
        super().__init__()
        self.sections: dict[str, dict] = {}
        self.stack: list[dict] = []  # open sections
        self.heading: dict | None = None
        self.inside_details = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "details":
            self.inside_details += 1
        if tag == "section":
            record = {"classes": (attrs.get("class") or "").split(), "anchors": [], "title": "",
                      "in_details": self.inside_details > 0, "parents": [s["id"] for s in self.stack]}
            record["id"] = attrs.get("id", "")
            self.sections[record["id"]] = record
            self.stack.append(record)
        elif tag == "span" and self.stack and not self.stack[-1]["title"] and self.heading is None and "id" in attrs:
            self.stack[-1]["anchors"].append(attrs["id"])
        elif re.fullmatch(r"h[1-6]", tag) and self.stack and not self.stack[-1]["title"]:
            self.heading = self.stack[-1]

    def handle_endtag(self, tag):
        if tag == "details":
            self.inside_details -= 1
        elif tag == "section" and self.stack:
            self.stack.pop()
        elif re.fullmatch(r"h[1-6]", tag) and self.heading is not None:
            self.heading["title"] = " ".join(self.heading["title"].split()).rstrip("#").strip()
            self.heading = None

    def handle_data(self, data):
        if self.heading is not None:
            self.heading["title"] += data


def page_sections(site: Path, language: str, page: str) -> dict[str, dict]:
    folder = site if language == "en" else site / language
    parser = Sections()
    parser.feed((folder / "book" / f"{page}.html").read_text(encoding="utf-8"))
    return parser.sections


# --- The main path runs without the deep dives (static, over the sources) ----

@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_main_path_uses_no_name_only_a_deep_dive_defines(chapter):
    problems = [f"{chapter.name}:{line}: main-path cell uses {name!r}, defined only in {section!r}"
                for line, name, section in main_path_violations(chapter.read_text(encoding="utf-8"))]
    assert not problems, "\n".join(problems)


def test_every_named_deep_dive_holds_code_in_its_source():
    """The check above has something to check: the named chapters have cells inside deep dives."""
    for page in {page for page, _, _ in DEEP_DIVES}:
        cells = code_cells((ROOT / "book" / f"{page}.md").read_text(encoding="utf-8"))
        assert any(cell.deeper for cell in cells), f"{page}: no code cell inside a 'Going deeper' section"
        assert any(cell.deeper is None for cell in cells), f"{page}: no main-path code cell"


CHAPTER_WITH_A_DEEP_DIVE = """\
---
kernelspec: {name: python3}
---
# A page

```{code-cell} ipython3
%matplotlib inline
import numpy as np
shared = np.arange(3)
```

## Going deeper: a detour

```{code-cell} ipython3
---
tags: [remove-input]
---
import math
detour = shared * 2
shared = detour[::-1]


def helper(value):
    local_only = value + 1
    return local_only
```

### Still the detour

```{code-cell} ipython3
also_deep = [item for item in detour]
```

## Back on the main path

```{code-cell} ipython3
:tags: [remove-cell]
print(np.pi, {uses})
```

```{code-cell} ipython3
detour = 1
print(detour, [local_only for local_only in range(2)])
```
"""


@pytest.mark.parametrize("uses, expected", [
    ("len(shared)", {"shared"}),             # rebound in the detour: the main path would see another value
    ("helper(1)", {"helper"}),               # a function the detour defines
    ("math.pi, also_deep", {"math", "also_deep"}),  # an import, and a name from a sub-section of the detour
    ("abs(-1)", set()),                      # builtins are no one's
    ("local_only", set()),                   # a function's local binds nothing outside it
])
def test_the_check_finds_the_deep_dives_names(uses, expected):
    """A planted use of a deep dive's name on the main path is found; the rest is not."""
    text = CHAPTER_WITH_A_DEEP_DIVE.replace("{uses}", uses)
    found = main_path_violations(text)
    assert {name for _, name, _ in found} == expected
    assert all(section == "Going deeper: a detour" for _, _, section in found)
    # The line is the cell's first line of source in the chapter.
    line = text.splitlines().index(":tags: [remove-cell]") + 1
    assert all(cell_line == line for cell_line, _, _ in found)


def test_the_check_knows_which_cells_are_deep():
    cells = code_cells(CHAPTER_WITH_A_DEEP_DIVE.replace("{uses}", "0"))
    assert [cell.deeper for cell in cells] == [None, "Going deeper: a detour", "Going deeper: a detour", None, None]
    assert cells[1].tags == ["remove-input"] and cells[3].tags == ["remove-cell"]


# --- The built pages, both languages -------------------------------------------

@pytest.mark.book
@pytest.mark.parametrize("language", ["en", *TRANSLATIONS])
def test_named_deep_dives_are_going_deeper_sections(site, language):
    problems = []
    prefix = TITLE_PREFIX.get(language, PREFIX)
    for page, section_id, anchors in DEEP_DIVES:
        sections = page_sections(site, language, page)
        section = sections.get(section_id)
        if section is None:
            problems.append(f"{language} {page}: no section #{section_id}")
            continue
        if "going-deeper" not in section["classes"]:
            problems.append(f"{language} {page}#{section_id}: no class going-deeper ({section['classes']})")
        # "13.4. Going deeper: ..." -- the section number, then the title.
        if not re.sub(r"^[\d.]+\s*", "", section["title"]).startswith(prefix):
            problems.append(f"{language} {page}#{section_id}: title {section['title']!r} does not start {prefix!r}")
        if section["in_details"]:
            problems.append(f"{language} {page}#{section_id}: folded inside <details>")
        missing = set(anchors) - set(section["anchors"])
        if missing:
            problems.append(f"{language} {page}#{section_id}: old anchors gone: {sorted(missing)}")
    # And every going-deeper section of the book is titled so, in this language.
    for page in {page for page, _, _ in DEEP_DIVES}:
        for section in page_sections(site, language, page).values():
            titled = re.sub(r"^[\d.]+\s*", "", section["title"]).startswith(prefix)
            if titled != ("going-deeper" in section["classes"]):
                problems.append(f"{language} {page}#{section['id']}: title and class disagree")
    assert not problems, "\n".join(problems)


@pytest.mark.book
@pytest.mark.parametrize("language", ["en", *TRANSLATIONS])
def test_notebooks_draw_a_rule_above_each_deep_dive(site, language):
    folder = site if language == "en" else site / language
    prefix = TITLE_PREFIX.get(language, PREFIX)
    for page in sorted({page for page, _, _ in DEEP_DIVES}):
        notebook = json.loads((folder / "notebooks" / f"{page}.ipynb").read_text(encoding="utf-8"))
        text = "\n\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
        headings = re.findall(r"^(#{1,6} .*)$", text, re.M)
        deep = [h for h in headings if h.split(" ", 1)[1].startswith(prefix)]
        assert deep, f"{language} notebooks/{page}.ipynb: no heading starts {prefix!r}"
        for heading in deep:
            assert re.search(r"^---\n\n" + re.escape(heading) + "$", text, re.M), (
                f"{language} notebooks/{page}.ipynb: no rule above {heading!r}")


# --- The style: set apart on screen (light, dark) and on paper ------------------

STYLE_JS = """() => {
    // rgb(...) / rgba(...) in 0-255; color(srgb r g b / a), as color-mix() computes, in 0-1.
    const rgb = s => {
        const n = (s.match(/[\\d.]+/g) || []).map(Number);
        return s.startsWith('color(') ? [...n.slice(0, 3).map(v => v * 255), ...n.slice(3, 4)] : n.slice(0, 4);
    };
    const opaque = el => {  // the first ancestor with an opaque background
        for (let e = el; e; e = e.parentElement) {
            const c = rgb(getComputedStyle(e).backgroundColor);
            if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
        }
        return [255, 255, 255];
    };
    return Array.from(document.querySelectorAll('section.going-deeper')).map(s => {
        const style = getComputedStyle(s);
        const text = s.querySelector(':scope > p');
        const link = s.querySelector(':scope > p a:not(.headerlink)');
        return {
            id: s.id,
            nested: !!s.parentElement.closest('section.going-deeper'),
            rule: parseFloat(style.borderLeftWidth), ruleStyle: style.borderLeftStyle,
            background: opaque(s), page: opaque(s.parentElement),
            text: text ? rgb(getComputedStyle(text).color) : null,
            link: link ? rgb(getComputedStyle(link).color) : null,
            height: s.getBoundingClientRect().height,
            hidden: style.display === 'none' || style.visibility === 'hidden',
        };
    });
}"""


def contrast(a, b) -> float:
    """WCAG contrast ratio of two sRGB colours (0-255)."""
    def luminance(c):
        channels = [v / 255 for v in c]
        channels = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in channels]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.book
@pytest.mark.parametrize("page, theme, media", [
    ("book/learning", "light", "screen"),
    ("book/activation", "dark", "screen"),
    (f"{TRANSLATIONS[0]}/book/why-convolution" if TRANSLATIONS else "book/why-convolution", "dark", "screen"),
    ("book/learning", "dark", "print"),  # paper is light whatever the screen's theme
])
def test_deep_dives_are_set_apart_and_readable(browser, site_url, page, theme, media):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=theme,
                                  service_workers="block")
    try:
        tab = context.new_page()
        tab.goto(f"{site_url}{page}.html", wait_until="load")
        tab.emulate_media(media=media)
        found = tab.evaluate(STYLE_JS)
    finally:
        context.close()
    assert found, f"{page}: no section.going-deeper"
    problems = []
    for s in found:
        name = f"{page} [{theme}, {media}] #{s['id']}"
        if s["hidden"] or s["height"] < 50:
            problems.append(f"{name}: not open ({s['height']:.0f}px high)")
        if s["nested"]:
            continue  # inside another deep dive: that one's rule and tint
        if s["rule"] < 2 or s["ruleStyle"] != "solid":
            problems.append(f"{name}: no rule on its left ({s['rule']}px {s['ruleStyle']})")
        if s["background"] == s["page"]:
            problems.append(f"{name}: no tint (background {s['background']} = the page's)")
        elif contrast(s["background"], s["page"]) > 1.6:
            problems.append(f"{name}: the tint is no tint but a block ({contrast(s['background'], s['page']):.2f}:1)")
        for kind in ("text", "link"):
            if s[kind] and contrast(s[kind], s["background"]) < 4.5:
                problems.append(f"{name}: {kind} {s[kind]} on {s['background']}: "
                                f"{contrast(s[kind], s['background']):.2f}:1 < 4.5:1")
        if media == "print" and contrast(s["background"], [255, 255, 255]) > 1.2:
            problems.append(f"{name}: printed tint too dark ({s['background']})")
    assert not problems, "\n".join(problems)
