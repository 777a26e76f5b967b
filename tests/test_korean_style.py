"""The Korean catalogs follow the Korean style sheet, locale/ko/STYLE.md (issue 24).

* No chapter reference inside parentheses renders a bare chapter title:
  ``(max pooling, {doc}`pooling`)`` reads "(max pooling, 풀링)". Inside
  parentheses a chapter is named by its number, ``({doc}`10장 <pooling>` 참고)``.
* Every "N장" reference names the chapter's number in the book, as
  ``_toc.yml`` numbers the chapters (the numbered parts, counted on).
* One Korean word per concept: the style sheet's term table (read here, so
  the sheet and the test cannot drift) lists, for each concept, the word the
  book uses and the words it avoids; no translation uses an avoided one,
  except as a synonym in parentheses right after the chosen word
  (the glossary's "특성 맵(특징 맵, feature map)").

Runs on the catalogs and the sources only: no build needed.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

import polib
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
STYLE = ROOT / "locale" / "ko" / "STYLE.md"
sys.path.insert(0, str(ROOT / "scripts"))

import translations  # noqa: E402  scripts/translations.py

#: A reference to a chapter whose text Sphinx fills in with the chapter's title:
#: {doc}`page` or {ref}`chapter-label`, with no "text <target>" of its own.
BARE_CHAPTER_REFERENCE = re.compile(r"\{doc\}`(?P<doc>[^`<>]+)`|\{ref\}`(?P<label>chapter-[^`<>]+)`")
#: {doc}`10장 <pooling>` or {ref}`10장 <chapter-pooling>`.
NUMBERED_REFERENCE = re.compile(r"\{(?P<role>doc|ref)\}`(?P<number>\d+)장 <(?P<target>[^`<>]+)>`")


@functools.lru_cache(maxsize=None)
def _masked(text: str) -> str:
    """``text`` with math and inline code blanked out (same length): their parentheses are not prose."""
    return re.sub(r"\$[^$]*\$|(?<!`)`[^`]*`(?!`)", lambda m: " " * len(m.group()), text)


def bare_references_in_parentheses(text: str) -> list[str]:
    """The bare chapter references of ``text`` that stand inside parentheses.

    >>> bare_references_in_parentheses("최대 풀링(max pooling, {doc}`pooling`)은")
    ['{doc}`pooling`']
    >>> bare_references_in_parentheses("최대 풀링(max pooling, {doc}`10장 <pooling>` 참고)은")
    []
    """
    # Roles first become placeholders of the same length, so that the
    # parentheses of "text <target>" never count and the code mask leaves them.
    references = list(BARE_CHAPTER_REFERENCE.finditer(text))
    masked = _masked(translations.ROLE.sub(lambda m: "R" * len(m.group()), text))
    depth, inside = 0, [False] * len(text)
    for index, char in enumerate(masked):
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        inside[index] = depth > 0
    return [match.group() for match in references if inside[match.start()]]


def chapter_numbers() -> dict[str, int]:
    """Each chapter's number, as the book shows it: ``_toc.yml``'s numbered parts, counted on."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    numbers, count = {}, 0
    for part in toc["parts"]:
        if not part.get("numbered"):
            continue
        for chapter in part["chapters"]:
            count += 1
            numbers[Path(chapter["file"]).name] = count
    return numbers


def chapter_labels() -> dict[str, str]:
    """Label -> its page, from the ``(label)=`` lines of the sources (a
    section's label names the chapter that holds it)."""
    labels = {}
    for page in (ROOT / "book").glob("*.md"):
        for label in re.findall(r"^\(([\w-]+)\)=\s*$", page.read_text(), flags=re.M):
            labels[label] = page.stem
    return labels


def wrong_chapter_numbers(text: str, numbers: dict[str, int], labels: dict[str, str]) -> list[str]:
    """The "N장" references of ``text`` whose N is not their chapter's number."""
    wrong = []
    for match in NUMBERED_REFERENCE.finditer(text):
        page = match["target"] if match["role"] == "doc" else labels.get(match["target"])
        if numbers.get(page) != int(match["number"]):
            wrong.append(f"{match.group()} (chapter {numbers.get(page)})")
    return wrong


def style_terms(text: str | None = None) -> list[tuple[str, str, list[str]]]:
    """The style sheet's term table: (concept, the word used, the words avoided)."""
    text = STYLE.read_text() if text is None else text
    section = re.split(r"^## 용어[^\n]*$", text, maxsplit=1, flags=re.M)[1]
    section = re.split(r"^## ", section, maxsplit=1, flags=re.M)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) != 3 or set(cells[1]) <= {"-", " "} or cells[0] == "개념":
            continue
        chosen = re.findall(r"`([^`]+)`", cells[1])
        avoided = re.findall(r"`([^`]+)`", cells[2])
        rows.append((cells[0], chosen[0] if chosen else "", avoided))
    return rows


def avoided_words(text: str, chosen: str, avoided: list[str]) -> list[str]:
    """The avoided words that ``text`` uses as words, a synonym glossed as "chosen(avoided" aside.

    >>> avoided_words("특징 맵을 봅니다", "특성 맵", ["특징 맵"])
    ['특징 맵']
    >>> avoided_words("특성 맵(특징 맵, feature map)", "특성 맵", ["특징 맵"])
    []
    """
    prose = _masked(text)
    found = []
    for word in avoided:
        # A word, not the end of another one: 창을 (window) is not 팽창을 (dilation).
        if re.search(r"(?<![\uac00-\ud7a3])" + re.escape(word), prose.replace(f"{chosen}({word}", "")):
            found.append(word)
    return found


@functools.lru_cache(maxsize=1)
def _messages() -> tuple:
    """(catalog, entry) for every translated message of the Korean catalogs, read once."""
    return tuple((path.relative_to(ROOT), entry)
                 for path in translations.catalogs("ko")
                 for entry in polib.pofile(str(path))
                 if not entry.obsolete and entry.msgstr)


def test_the_checks_find_what_they_look_for():
    # Planted faults, one per check.
    assert bare_references_in_parentheses("가중치는 공유되므로({doc}`why-convolution`), 그") == [
        "{doc}`why-convolution`"]
    assert bare_references_in_parentheses("(세 가지 모두 {ref}`chapter-gradients` 장에서 배웁니다)") == [
        "{ref}`chapter-gradients`"]
    assert bare_references_in_parentheses("{doc}`pooling` 장에서 ($f(x)$와 `g(x)`)") == []
    assert bare_references_in_parentheses("({ref}`sec-border`)") == []  # a section, not a chapter
    numbers = {"pooling": 10, "backprop": 13}
    labels = {"chapter-backprop": "backprop"}
    assert wrong_chapter_numbers("({doc}`11장 <pooling>` 참고)", numbers, labels) == [
        "{doc}`11장 <pooling>` (chapter 10)"]
    assert wrong_chapter_numbers("({ref}`13장 <chapter-backprop>` 참고)", numbers, labels) == []
    sheet = "## 용어\n\n| 개념 | 쓰는 말 | 피하는 말 |\n| --- | --- | --- |\n| shape | `모양` | `형태`, `형상` |\n\n## 장 참조\n"
    assert style_terms(sheet) == [("shape", "모양", ["형태", "형상"])]
    assert avoided_words("`(N, C, H, W)` 형태의 텐서", "모양", ["형태", "형상"]) == ["형태"]
    assert avoided_words("`x.형태`의 모양", "모양", ["형태"]) == []  # code is not prose
    assert avoided_words("팽창을 인자로 받습니다", "윈도", ["창을 "]) == []  # inside another word


def test_no_bare_chapter_reference_inside_parentheses():
    problems = [f"{path}: {found} in {entry.msgstr[:100]!r}"
                for path, entry in _messages()
                for found in bare_references_in_parentheses(entry.msgstr)]
    assert not problems, ("chapter titles inside parentheses; write ({doc}`N장 <page>` 참고):\n  "
                          + "\n  ".join(problems))


def test_numbered_chapter_references_name_the_right_chapter():
    numbers, labels = chapter_numbers(), chapter_labels()
    assert numbers["conv-layer"] == 3 and labels["chapter-pooling"] == "pooling"
    problems, seen = [], 0
    for path, entry in _messages():
        seen += len(NUMBERED_REFERENCE.findall(entry.msgstr))
        problems += [f"{path}: {wrong}" for wrong in wrong_chapter_numbers(entry.msgstr, numbers, labels)]
    assert seen >= 40, f"only {seen} numbered chapter references: did the pattern change?"
    assert not problems, "chapter numbers that are not the book's (_toc.yml):\n  " + "\n  ".join(problems)


def test_style_sheet_lists_the_terms():
    terms = style_terms()
    assert len(terms) >= 15, terms
    for concept, chosen, avoided in terms:
        assert chosen and avoided, f"style sheet row {concept!r}: a chosen word and the words it replaces"


@pytest.mark.parametrize("concept, chosen, avoided", style_terms(), ids=[row[0] for row in style_terms()])
def test_one_word_per_concept(concept, chosen, avoided):
    uses, problems = 0, []
    for path, entry in _messages():
        uses += _masked(entry.msgstr).count(chosen)
        for word in avoided_words(entry.msgstr, chosen, avoided):
            problems.append(f"{path}: {word!r} in {entry.msgstr[:100]!r}")
    assert uses, f"{concept}: the style sheet's word {chosen!r} appears in no translation"
    assert not problems, f"{concept}: write {chosen!r}, not:\n  " + "\n  ".join(problems)


def test_update_renumbers_chapter_references_from_the_toc():
    # `translations.py update` rewrites "N장" to each chapter's place in
    # _toc.yml (checked against this file's own reading of _toc.yml), so a
    # new or moved chapter never leaves a wrong number behind.
    numbers, labels = chapter_numbers(), chapter_labels()
    text = "최대 풀링({doc}`3장 <pooling>` 참고)과 {ref}`1장 <chapter-gradients>`, {doc}`99장 <no-such-page>`"
    renumbered = translations.renumber_chapter_references(
        text, translations.NUMBERED_CHAPTER["ko"], translations.chapter_numbers(), translations.label_pages())
    assert renumbered == (f"최대 풀링({{doc}}`{numbers['pooling']}장 <pooling>` 참고)과 "
                          f"{{ref}}`{numbers[labels['chapter-gradients']]}장 <chapter-gradients>`, "
                          "{doc}`99장 <no-such-page>`")
