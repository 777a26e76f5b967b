"""What a chapter's source says, for comparing the book's other editions with it.

The notebooks and the PDF are made from the built site; checking them against
the site finds printing and conversion losses, never content that the site
lost too. These helpers read the chapters' MyST sources instead, so the
notebook and PDF tests can require every exercise, solution and figure
caption of the sources.

A source's text and a built edition's differ where MyST is rendered (roles
become links or glued numbers, math is typeset, markup disappears), so a
piece of source is compared by its *fragments*: the runs of plain words
between those constructs.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from run_chapter import is_hidden, read_chapter  # noqa: E402

#: MyST constructs whose rendering differs from their source: roles (glued
#: values, references, terms), math, inline code, links' addresses,
#: substitutions, emphasis marks, HTML.
_RENDERED = re.compile(
    # targets "(label)=", directives' fences and options (first: a fence is not inline code)
    r"^[ \t]*\([\w:-]+\)=[ \t]*$|^[ \t]*(?:`{3,}|:{3,})[^\n]*$|^[ \t]*:[\w-]+:[^\n]*$"
    r"|\{[\w:-]+\}`[^`]*`|\$\$.*?\$\$|\$[^$]+\$|`[^`]*`|\]\([^)]*\)|\{\{[^}]*\}\}|<[^>]+>"
    r"|[*_\[\]]|^[ \t]*[-+][ \t]|^[ \t]*\d+\.[ \t]|^#+[ \t]", re.S | re.M)
#: A word: Latin letters, or Hangul (a translation's fragments, test_notebooks.py).
_WORD = re.compile(r"[A-Za-z\uac00-\ud7a3][\w'’-]*")


def fragments(markdown: str, min_words: int = 3) -> list[str]:
    """The runs of at least ``min_words`` plain words that any rendering keeps."""
    pieces = [" ".join(piece.split()) for piece in _RENDERED.split(markdown)]
    found = []
    for piece in pieces:
        # Punctuation that a renderer may change (quotes, dashes) ends a run too.
        for run in re.split(r"[\"“”‘«»–—(){}|:;]", piece):
            run = run.strip(" ,.!?'’-")
            if len(_WORD.findall(run)) >= min_words:
                found.append(run)
    return found


@dataclass
class Exercise:
    label: str
    body: str
    solution: list[str] = field(default_factory=list)  # the solution's prose, cell by cell
    solution_code: list[str] = field(default_factory=list)  # its visible code cells
    solved: bool = False
    solution_opens_with_code: bool = False


_EXERCISE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{exercise\}[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)
_SOLUTION_MARK = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<mark>solution-start|solution-end)\}[ \t]*(?P<label>[\w-]*)[^\n]*\n"
    r"(?:[ \t]*:[\w-]+:.*\n)*(?P=fence)[ \t]*$", re.M)
_OPTION = re.compile(r"^[ \t]*:[\w-]+:.*$", re.M)


def exercises(page: str) -> list[Exercise]:
    """A chapter's exercises in order, each with its solution's prose and code."""
    found: dict[str, Exercise] = {}
    current: Exercise | None = None
    for cell in read_chapter(ROOT / f"{page}.md").cells:
        if cell.cell_type == "code":
            if current is not None and not is_hidden(cell):
                current.solution_opens_with_code |= not current.solution and not current.solution_code
                current.solution_code.append(cell.source)
            continue
        position = 0
        text = cell.source
        for mark in _SOLUTION_MARK.finditer(text):
            _collect(text[position:mark.start()], found, current)
            if mark["mark"] == "solution-start":
                current = found[mark["label"]]
                current.solved = True
            else:
                current = None
            position = mark.end()
        _collect(text[position:], found, current)
    return list(found.values())


def _collect(text: str, found: dict[str, Exercise], current: Exercise | None) -> None:
    if current is not None:
        if text.strip():
            current.solution.append(text)
        return
    for match in _EXERCISE.finditer(text):
        label = re.search(r"^[ \t]*:label:[ \t]*([\w-]+)", match["body"], re.M)
        assert label, f"an exercise without a label: {match['body'][:200]}"
        found[label.group(1)] = Exercise(label.group(1), _OPTION.sub("", match["body"]))


def figure_captions(page: str) -> list[str]:
    """The caption of every figure cell of a chapter, in order, as the source writes it."""
    captions = []
    for cell in read_chapter(ROOT / f"{page}.md").cells:
        figure = (cell.get("metadata", {}).get("mystnb") or {}).get("figure") if cell.cell_type == "code" else None
        if figure and figure.get("caption"):
            captions.append(str(figure["caption"]))
    return captions


def translation(page: str, language: str):
    """A function giving a piece of a chapter's source in ``language``, from its catalog.

    Sphinx's catalogs hold one message per paragraph, list item or caption,
    its lines joined by spaces: the function returns the translations of the
    messages of at least three words that the piece contains (not those
    inside another such message: a heading's words in a caption), or ``None``
    when it contains none (a piece the catalog does not hold).
    """
    import polib

    catalog = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / f"{page}.po"))
    messages = {" ".join(entry.msgid.split()): entry.msgstr for entry in catalog
                if entry.msgstr and len(_WORD.findall(entry.msgid)) >= 3}

    def translate(piece: str) -> list[str] | None:
        text = " ".join(piece.split())
        found = [message for message in messages if message in text]
        # A heading's words inside a longer message found too are that message's.
        found = [message for message in found if not any(message in other != message for other in found)]
        return [messages[message] for message in found] or None

    return translate


def chapter_numbers() -> dict[str, int]:
    """The number of each numbered chapter, from ``_toc.yml``: numbered parts count on."""
    numbers, count = {}, 0
    for part in yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))["parts"]:
        for chapter in part.get("chapters", []):
            if part.get("numbered"):
                count += 1
                numbers[chapter["file"]] = count
    return numbers
