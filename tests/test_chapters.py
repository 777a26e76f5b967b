"""The chapters' structure: exercises with collapsed solutions, glossary links.

The figures of every page are checked by test_book.py; this file checks what
issue 4 adds to the chapters: at least three exercises per chapter, each with
a solution in a collapsed dropdown, the glossary's terms, and {term} links.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

NEW_CHAPTERS = [
    "why-convolution", "correlation", "padding-stride", "colour", "bias-nonlinearity", "pooling",
    "gradients", "receptive-field", "backprop", "learning", "im2col", "classic-kernels", "trained-cnn",
]
LESSON_CHAPTERS = ["index", "images", "filters", "conv-layer", "activation"]
PLAY_CHAPTERS = ["playground"]
ALL_CHAPTERS = NEW_CHAPTERS + LESSON_CHAPTERS + PLAY_CHAPTERS
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


@pytest.mark.parametrize("chapter", ALL_CHAPTERS)
def test_chapter_has_three_exercises_with_dropdown_solutions(chapter):
    text = source(chapter)
    labels = exercises(text)
    assert len(labels) >= 3, f"{chapter}: {len(labels)} exercises, expected at least 3"
    answered = solutions(text)
    for label in labels:
        assert label in answered, f"{chapter}: exercise {label} has no solution"
        assert ":class: dropdown" in answered[label], f"{chapter}: solution of {label} is not collapsed"
    gated_starts = text.count("{solution-start}")
    assert gated_starts == text.count("{solution-end}"), f"{chapter}: unbalanced solution-start/end"


@pytest.mark.parametrize("chapter", ALL_CHAPTERS)
def test_chapter_links_to_the_glossary(chapter):
    assert re.search(r"\{term\}`", source(chapter)), f"{chapter}: no {{term}} link to the glossary"


def test_glossary_defines_every_term():
    text = (ROOT / "book" / "glossary.md").read_text()
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    defined = {line.strip() for line in block.splitlines() if line and not line.startswith(" ")}
    for term in GLOSSARY_TERMS:
        assert term in defined, f"glossary lacks {term!r}"


def test_exercise_labels_are_unique_across_the_book():
    labels = [label for chapter in ALL_CHAPTERS for label in exercises(source(chapter))]
    assert len(labels) == len(set(labels))


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
