"""The chapters' structure: exercises with collapsed solutions, glossary links.

The figures of every page are checked by test_book.py; this file checks what
issue 4 adds to the chapters: at least three exercises per chapter, each with
a solution in a collapsed dropdown, the glossary's terms, and {term} links.
Every rule applies to every chapter of ``_toc.yml`` (issue 25): a chapter
added there is checked like the others.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from test_book import toc_pages

ROOT = Path(__file__).resolve().parents[1]


def is_reference_page(page: str) -> bool:
    """The glossary and the bibliography: pages that list, not chapters that teach."""
    text = (ROOT / f"{page}.md").read_text()
    return bool(re.search(r"^`{3,}\{(glossary|bibliography)\}", text, flags=re.M))


#: Every chapter of ``_toc.yml`` (its name under book/), the root page included.
ALL_CHAPTERS = [page.removeprefix("book/") for page in toc_pages() if not is_reference_page(page)]
GLOSSARY_TERMS = [
    "kernel", "filter", "feature map", "stride", "padding", "channel",
    "receptive field", "activation", "pooling",
]


def source(chapter: str) -> str:
    return (ROOT / "book" / f"{chapter}.md").read_text()


def exercises(text: str) -> list[str]:
    return re.findall(r"```\{exercise\}\s*\n:label: ([\w-]+)", text)


def solutions(text: str) -> dict[str, str]:
    """Label -> the option block of its solution (plain or gated)."""
    found = {}
    for match in re.finditer(r"`{3,}\{solution(?:-start)?\} ([\w-]+)\s*\n((?::[^\n]*\n)*)", text):
        found[match.group(1)] = match.group(2)
    return found


def exercise_problems(text: str) -> list[str]:
    """What a chapter's source lacks: three exercises, each with a collapsed solution."""
    labels = exercises(text)
    problems = [] if len(labels) >= 3 else [f"{len(labels)} exercises, expected at least 3"]
    answered = solutions(text)
    for label in labels:
        if label not in answered:
            problems.append(f"exercise {label} has no solution")
        elif ":class: dropdown" not in answered[label]:
            problems.append(f"solution of {label} is not collapsed")
    if text.count("{solution-start}") != text.count("{solution-end}"):
        problems.append("unbalanced solution-start/end")
    return problems


def links_to_the_glossary(text: str) -> bool:
    return re.search(r"\{term\}`", text) is not None


@pytest.mark.parametrize("chapter", ALL_CHAPTERS)
def test_chapter_has_three_exercises_with_dropdown_solutions(chapter):
    problems = exercise_problems(source(chapter))
    assert not problems, f"{chapter}: " + "; ".join(problems)


@pytest.mark.parametrize("chapter", ALL_CHAPTERS)
def test_chapter_links_to_the_glossary(chapter):
    assert links_to_the_glossary(source(chapter)), f"{chapter}: no {{term}} link to the glossary"


def test_glossary_defines_every_term():
    text = (ROOT / "book" / "glossary.md").read_text()
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    defined = {line.strip() for line in block.splitlines() if line and not line.startswith(" ")}
    for term in GLOSSARY_TERMS:
        assert term in defined, f"glossary lacks {term!r}"


def test_every_chapter_of_the_toc_is_checked():
    pages = toc_pages()
    assert len(ALL_CHAPTERS) >= 18 and "index" in ALL_CHAPTERS and "playground" in ALL_CHAPTERS
    assert {f"book/{chapter}" for chapter in ALL_CHAPTERS} | {"book/glossary", "book/references"} == set(pages)


def test_exercise_labels_are_unique_across_the_book():
    labels = [label for page in toc_pages() for label in exercises((ROOT / f"{page}.md").read_text())]
    duplicated = sorted({label for label in labels if labels.count(label) > 1})
    assert not duplicated, f"exercise labels used twice: {duplicated}"


@pytest.mark.parametrize("chapter", ALL_CHAPTERS)
def test_built_chapter_has_collapsed_solutions_and_term_links(site, chapter):
    html = (site / "book" / f"{chapter}.html").read_text()
    n_exercises = len(exercises(source(chapter)))
    assert html.count('class="solution dropdown') == n_exercises
    assert "std-term" in html, f"{chapter}: no rendered glossary link"


def test_built_glossary_has_its_terms(site):
    html = (site / "book" / "glossary.html").read_text()
    for term in GLOSSARY_TERMS:
        assert f'id="term-{term.replace(" ", "-")}"' in html, f"glossary page lacks {term!r}"
