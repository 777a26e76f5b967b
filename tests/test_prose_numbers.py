"""Every number the English prose states is glued or asserted by its chapter.

Issue 19: a number typed into a sentence (and changed the same way in the
Korean) passed every test. This test reads each chapter's source, no build
needed, and finds every number written in digits in what the reader reads
as words: paragraphs, list items, admonitions, exercises and solutions,
tables, the page description, and each figure's caption and alt text (the
``mystnb: figure: caption`` and ``image: alt`` metadata). Each number must
be

- a ``{glue:...}`` role (then ``tests/test_glue_checks.py`` requires a
  ``glue_checked`` with an independent computation behind it), or
- *asserted* in a code cell of the same chapter, usually a hidden
  (``remove-cell``) one: its value is a literal of an ``assert`` statement
  (or of an ``np.testing.assert_*`` / ``torch.testing.assert_close`` call,
  or the independent value of a ``glue_checked``) that also reads a
  variable, so ``assert windows.shape[2:] == (4, 4)`` asserts 4 and
  ``assert 16 == 16`` asserts nothing.

Matching is by value within the chapter (``-1`` and ``+1`` are different
numbers; ``0.02`` matches ``0.02``): the test catches a stated number that
no cell checks, not an assert about some other quantity that happens to
share its value; that pairing is for the reviewer of the assert cell.

What is not a stated quantity, and why it is left out:

- code (inline code, code cells, listings) -- it runs, the build checks it;
- roles other than glue (``{numref}``, ``{doc}``, ``{ref}``, ``{term}``,
  ``{cite}``): figure and chapter numbers, labels, citation years; link
  addresses; HTML comments and raw blocks;
- display math, and inline math with a variable or command in it
  (``$H - 4 + 1$``, ``$\\sum_{i=0}^{3}$``): formulas define; inline math
  made only of numbers (``$-1$``, ``$8$``, ``$10^{-4}$``, ``$[0, 1]$``) is a
  stated number and is checked;
- numbers that are part of a name: ``Filter 1`` to ``Filter 4`` (the
  lesson's names for its filters), ``LeNet-5``, ``conv1``, a place in a
  cited work (``section 9.2``, ``Eq. 9.5``: the citation beside it names
  the work), a product or version (``Falcon 9``, ``PyTorch 1.11``), a
  number format (``32-bit`` floating point is float32, a dtype the code
  names);
- the few definitions in :data:`DEFINITIONS`, each with its reason, and
  the numbers that a test, not a chapter cell, checks
  (:data:`CHECKED_BY_TESTS`: the test must still hold the check).

Literals that say how rather than what do not count as asserted: indices
(``x[0, 3]``), keyword arguments (``atol=1e-5``, ``axis=1``), the digits of
``round(v, 2)``.

Numbers written in words (:data:`NUMBER_WORDS`: "nine weights", "twice as
many", "a quarter of the values") are checked the same way, by value. Left
out: "one" and "once", nearly always a pronoun, an article or "at once"
("one of the filters", "the same one"); "half" naming a place ("the left
half", "its top half"); and the word phrases of :data:`WORD_DEFINITIONS`,
each with its reason.
"""

from __future__ import annotations

import ast
import math
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import translations  # noqa: E402  scripts/translations.py: the book's role and math patterns
from run_chapter import read_chapter  # noqa: E402
from test_book import toc_pages  # noqa: E402
from test_visible_code import python_source  # noqa: E402

#: A number in digits: an optional sign, thousands commas, a decimal part.
NUMBER = re.compile(r"(?<![\w.,])(?P<sign>[-+\u2212]?)(?P<digits>\d+(?:,\d{3})*(?:\.\d+)?)(?![\w]|\.\d)")
#: Numbers that are part of a name, not a quantity: the lesson's "Filter 1"
#: to "Filter 4" (also "filters 3 and 4", "Filter 1 to Filter 4"), LeNet-5, ResNet-50, VGG-19,
#: a section of a cited book, a product's version, a number format.
NAME = re.compile(
    r"(?i)\b(?:filters?|lenet|resnet|vgg)[\s-]+\d+(?:(?:\s*,\s*|\s+(?:and|or|to)\s+)(?:filters?\s+)?\d+)*'?s?"
    # a place in a cited work: "(section 9.2)", "Eq. 9.5"
    r"|(?i:\b(?:sections?|eq\.|equation|chapter)\s+\d+(?:\.\d+)*)"
    # a product or a version: "Falcon 9", "PyTorch 1.11", "Python 3.10"
    r"|(?i:\b(?:falcon|pytorch|python|numpy|torch)\s+\d+(?:\.\d+)*)"
    # the name of a number format: 32-bit floating point (float32), 8-bit (uint8)
    r"|\b\d+-bit\b")
#: Fenced blocks whose content is not prose: code, listings, math, raw HTML.
NOT_PROSE_BLOCK = re.compile(
    r"(?ms)^(?P<fence>`{3,}|:{3,})(?:\{(?:code-cell|code-block|code|literalinclude|math|raw|glue:math"
    r"|bibliography|repository-clone)\}|(?!\{))[^\n]*\n.*?^(?P=fence)[ \t]*$")
DIRECTIVE_LINE = re.compile(r"(?m)^\s*(?:`{3,}|:{3,})\{?[\w:-]*\}?.*$")
DIRECTIVE_OPTION = re.compile(r"(?m)^\s*:[\w-]+:.*$")
TARGET = re.compile(r"(?m)^\s*\([\w:-]+\)=\s*$")
COMMENT = re.compile(r"<!--.*?-->", re.S)
#: Inline math that is a formula: a variable, or a command other than these.
NUMERIC_MATH_COMMANDS = re.compile(r"\\(?:times|cdot|,|;|!|ldots|dots|approx|pm|le|ge|lt|gt|quad)\b|[{}\s]")

#: (page, number as written) -> why it is a definition, not a stated result.
DEFINITIONS: dict[tuple[str, str], str] = {
    # The glossary is plain Markdown (no kernelspec, no code cells): its numbers
    # define terms, and each term's chapter (which the entry links) asserts them.
    ("glossary", "1"): "1x1 convolution, stride 1, correlation 1: names and the range of a definition",
    ("glossary", "2"): "2-D arrays, 2x2 pooling windows, stride 2, 2 FLOPs per multiply-add: definitions",
    ("glossary", "3"): "3x3 kernels (bottleneck, Laplacian, Sobel): the kernels the entries define",
    ("glossary", "4"): "4-D tensors, the lesson's 4x4 filter, 4 bytes per float32: definitions",
    ("glossary", "0"): "a correlation near 0, the Laplacian's 0 on flat regions: definitions",
    ("glossary", "-1"): "the correlation coefficient's range, -1 to 1: its definition",
    ("glossary", "$-4$"): "the Laplacian's centre weight: the kernel's definition",
    ("glossary", "180"): "convolution is correlation with the kernel rotated by 180 degrees: its definition",
    ("glossary", "$2$"): "a mebibyte is 2^20 bytes: a unit's definition",
    ("glossary", "$20$"): "a mebibyte is 2^20 bytes: a unit's definition",
    ("glossary", "$10^6$"): "a megabyte is 10^6 bytes: a unit's definition",
    # Quoted from a cited paper, not computed by the book.
    ("layer-matrix", "3.8"): "ResNet-50's \"3.8 GFLOPs\", quoted from He et al. (cited beside it)",
    ("variants", "5"): "GoogLeNet's 5x5 Inception branch, the cited paper's design (the chapter builds no Inception)",
    ("variants", "2015"): "the year of the cited networks (GoogLeNet, ResNet), a date",
}

#: (page, number as written) -> (test file, the code there that asserts it):
#: a number the prose says a test checks, where a chapter cell cannot (the
#: browser's map against the package's). The test file must still hold it.
CHECKED_BY_TESTS: dict[tuple[str, str], tuple[str, str]] = {
    ("playground", "$10^-4$"): ("tests/test_playground.py", "conv[0]).max()) < 1e-4"),
}



#: Numbers written as words, with their values. Not "one" or "once" (see the
#: module docstring) and no ordinals ("the third filter" names a place).
NUMBER_WORDS: dict[str, float] = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "twenty": 20, "thirty": 30, "hundred": 100, "thousand": 1000, "million": 1e6,
    "twice": 2, "double": 2, "doubles": 2, "doubled": 2, "triple": 3, "half": 0.5, "halves": 0.5,
    "quarter": 0.25,
}
NUMBER_WORD = re.compile(r"(?i)\b(?P<word>" + "|".join(NUMBER_WORDS) + r")\b(?:[\s-]+(?P<next>[A-Za-z]+))?")
#: "half" as a place, not a share: "the left half", "its top halves", "the right half's pixels".
PLACE_HALF = re.compile(r"(?i)\b(?:left|right|top|bottom|upper|lower)\s+(?:half|halves)\b")

#: (page, number word and the word after it, lower case) -> why it is a
#: definition or a name, not a stated result.
WORD_DEFINITIONS: dict[tuple[str, str], str] = {
    ("glossary", "two learned"): "batch normalisation's scale and shift per channel: the entry's definition",
    ("glossary", "two layouts"): "OpenCV's BGR and RGB orders: the entry names them",
    ("glossary", "two sets"): "the correlation coefficient compares two sets of values: its definition",
    ("glossary", "two matrices"): "GEMM multiplies two matrices: the routine's definition",
    ("glossary", "two over"): "2/lambda_max written out in words: the formula beside it",
    ("glossary", "two one"): "a separable kernel is applied as two one-dimensional passes: its definition",
    ("glossary", "three"): "a colour photo's three channels, red, green and blue, named in the sentence",
    ("glossary", "four neighbours"): "the Laplacian compares a pixel with its four neighbours: its definition",
    ("glossary", "half of"): "max pooling's shift example, quoted from the pooling chapter (which asserts it)",
    ("index", "two values"): "what a figure can show (which of two values is larger): a definition",
    ("index", "two matrices"): "the product of two matrices, a topic the index lists",
    ("index", "two optional"): "the book's own two 'Going deeper' sections, listed by name in the sentence",
    ("index", "two layers"): "ReLU between two layers: the topic's statement, not a result",
    ("lab", "two convolutional"): "the lab's network, defined by the lab's own page (tests/test_lab.py)",
    ("lab", "two groups"): "Otsu's threshold splits gray levels into two groups: its definition",
    ("lab", "twice as"): "an instruction to the reader (draw the stroke twice as long), not a result",
    ("variants", "half the"): "MobileNets' Mult-Adds count a multiply-add once, the book's FLOPs twice: "
                              "the two conventions' definitions (the glossary's FLOP entry)",
}


def _value(sign: str, digits: str) -> float:
    value = float(digits.replace(",", ""))
    return -value if sign in ("-", "\u2212") else value


def math_numbers(tex: str) -> list[tuple[str, float]]:
    """The numbers of inline math made only of numbers; none from a formula."""
    tex = tex.strip()
    power = re.fullmatch(r"10\^\{?(-?\d+)\}?", tex)
    if power:
        return [(f"10^{power.group(1)}", 10.0 ** int(power.group(1)))]
    if re.search(r"[A-Za-z]", NUMERIC_MATH_COMMANDS.sub(" ", tex)):
        return []
    return [(m.group(), _value(m["sign"], m["digits"])) for m in NUMBER.finditer(tex.replace("{,}", ","))]


def _words_of(text: str) -> str:
    """A piece of prose without what is not read as words (see the module docstring)."""
    text = COMMENT.sub(" ", text)
    text = NOT_PROSE_BLOCK.sub(" ", text)
    text = DIRECTIVE_LINE.sub(" ", text)
    text = DIRECTIVE_OPTION.sub(" ", text)
    text = TARGET.sub(" ", text)
    text = translations.DISPLAY_MATH.sub(" ", text)
    text = translations.ROLE.sub(" ", text)  # glue (checked elsewhere) and the other roles
    text = translations.CODE.sub(" ", text)
    text = translations.LINK.sub("] ", text)
    return translations.SUBSTITUTION.sub(" ", text)


def prose_number_words(text: str) -> list[tuple[str, float, str]]:
    """Every number a piece of prose states in words: (the word and the next, value, context)."""
    text = " ".join(translations.INLINE_MATH.sub(" ", _words_of(text)).split())
    text = PLACE_HALF.sub(" ", text)
    found = []
    for match in NUMBER_WORD.finditer(text):
        context = text[max(0, match.start() - 40):match.end() + 30]
        written = " ".join(filter(None, (match["word"], match["next"]))).lower()
        found.append((written, float(NUMBER_WORDS[match["word"].lower()]), context))
    return found


def prose_numbers(text: str) -> list[tuple[str, float, str]]:
    """Every number a piece of prose states: (as written, value, context)."""
    text = _words_of(text)
    found = []

    def from_math(match: re.Match) -> str:
        context = match.string[max(0, match.start() - 40):match.end() + 30].replace("\n", " ")
        for written, value in math_numbers(match["tex"]):
            found.append((f"${written}$", value, context))
        return " "

    text = translations.INLINE_MATH.sub(from_math, text)
    text = NAME.sub(" ", text)
    text = re.sub(r"(\d)[x\u00d7](\d)", r"\1 x \2", text)  # 4x4: two numbers
    for match in NUMBER.finditer(text):
        context = text[max(0, match.start() - 40):match.end() + 30].replace("\n", " ")
        found.append((match.group(), _value(match["sign"], match["digits"]), context))
    return found


def chapter_prose(page: str) -> list[str]:
    """The pieces of a chapter a reader reads as words."""
    notebook = read_chapter(ROOT / f"{page}.md")
    pieces = [str(notebook.metadata.get("myst", {}).get("html_meta", {}).get("description", ""))]
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            pieces.append(cell.source)
        elif cell.cell_type == "code":
            meta = cell.metadata.get("mystnb", {}) or {}
            pieces.append(str((meta.get("figure") or {}).get("caption", "")))
            pieces.append(str((meta.get("image") or {}).get("alt", "")))
    return pieces


ASSERT_CALLS = {"assert_allclose", "assert_array_equal", "assert_equal", "assert_close",
                "assert_almost_equal", "assert_array_almost_equal"}


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def _literals(node: ast.AST) -> set[float]:
    """The numbers an expression compares with: its numeric literals, but not an
    index (``x[0, 3]``), a keyword argument (``atol=1e-5``, ``axis=1``) or the
    digits of ``round(v, 2)``, which say how, not what."""
    if _is_number(node):
        return {float(node.value)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _is_number(node.operand):
        return {-float(node.operand.value)}
    if isinstance(node, ast.Subscript):
        return _literals(node.value)
    if isinstance(node, ast.Call):
        args = node.args[:1] if getattr(node.func, "id", None) == "round" else node.args
        return set().union(_literals(node.func), *(_literals(arg) for arg in args))
    return set().union(set(), *(_literals(child) for child in ast.iter_child_nodes(node)))


def _reads_a_variable(node: ast.AST) -> bool:
    return any(isinstance(sub, ast.Name) for sub in ast.walk(node))


def asserted_values(page: str) -> set[float]:
    """The numbers a chapter's code cells assert (see the module docstring)."""
    values = set()
    for cell in read_chapter(ROOT / f"{page}.md").cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(python_source(cell.source))):
            if isinstance(node, ast.Assert) and _reads_a_variable(node.test):
                values |= _literals(node.test)
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                args = list(node.args)
                if name in ASSERT_CALLS and any(_reads_a_variable(arg) for arg in args):
                    values |= set().union(*(_literals(arg) for arg in args))
                elif name == "glue_checked":
                    values |= set().union(set(), *(_literals(arg) for arg in node.args[2:]))
    return values


def _unchecked(page: str, read, allowed) -> list[tuple[str, float, str]]:
    """What ``read`` finds in the page's prose that no cell asserts and no ``allowed`` table lists."""
    asserted = asserted_values(page)
    name = Path(page).name
    return [(written, value, context)
            for piece in chapter_prose(page) for written, value, context in read(piece)
            if not any(math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-12) for other in asserted)
            and not any((name, written) in table for table in allowed)]


def unchecked_numbers(page: str) -> list[tuple[str, float, str]]:
    return _unchecked(page, prose_numbers, (DEFINITIONS, CHECKED_BY_TESTS))


def unchecked_number_words(page: str) -> list[tuple[str, float, str]]:
    return _unchecked(page, prose_number_words, (WORD_DEFINITIONS,))


PAGES = [page for page in toc_pages() if (ROOT / f"{page}.md").exists()]


def test_reading_numbers_from_prose():
    text = ("Filter 1 has -1 in its left half; filters 3 and 4 are {glue:text}`n` wide. "
            "A 4x4 patch, `np.zeros(5)`, $H - 4 + 1$ rows, $-1$ and $10^{-4}$, "
            "{numref}`fig-3` and 1,024 pixels, 0.02 apart.")
    assert [(written, value) for written, value, _ in prose_numbers(text)] == [
        ("$-1$", -1.0), ("$10^-4$", 1e-4), ("-1", -1.0), ("4", 4.0), ("4", 4.0),
        ("1,024", 1024.0), ("0.02", 0.02)]
    caption_only = "```{code-cell} ipython3\nx = 637\n```\nThe output is 637 wide."
    assert [value for _, value, _ in prose_numbers(caption_only)] == [637.0]


def test_asserts_count_only_with_a_variable():
    import textwrap

    tree = ast.parse(textwrap.dedent("""
        assert 16 == 16
        assert windows.shape[2:] == (4, 4) and x.min() >= -1
        np.testing.assert_allclose(y, 0.5, atol=1e-3)
        glue_checked("k", kernel.shape[0], 3)
    """))
    values = set()
    for node in tree.body:
        values |= _literals(node) if not isinstance(node, ast.Assert) or _reads_a_variable(node.test) else set()
    assert 16.0 not in values and {4.0, -1.0, 0.5, 3.0} <= values
    assert _literals(ast.parse("round(x[7], 2) == 1.62 and np.isclose(y, 0.3, atol=1e-9)").body[0].value) == {
        1.62, 0.3}


@pytest.mark.parametrize("page", PAGES)
def test_every_number_in_the_prose_is_glued_or_asserted(page):
    unchecked = [(written, context) for written, _, context in unchecked_numbers(page)]
    assert not unchecked, (
        f"{page}: numbers the prose states that no cell of the chapter glues or asserts "
        "(glue it with glue_checked, or assert it in a hidden cell):\n  "
        + "\n  ".join(f"{written!r} in ...{context}..." for written, context in unchecked))


def test_reading_number_words_from_prose():
    text = ("One of the two filters is twice as large; the left half and the right half's pixels, "
            "a quarter of the values, `four = 4`, {glue:text}`n` three-pixel borders, $two$, often.")
    assert [(written, value) for written, value, _ in prose_number_words(text)] == [
        ("two filters", 2.0), ("twice as", 2.0), ("quarter of", 0.25), ("three pixel", 3.0)]


@pytest.mark.parametrize("page", PAGES)
def test_every_number_word_in_the_prose_is_glued_or_asserted(page):
    """Issue 19: "nine weights", "twice as many", "a quarter of the values" are stated numbers too."""
    unchecked = [(written, context) for written, _, context in unchecked_number_words(page)]
    assert not unchecked, (
        f"{page}: numbers the prose states in words that no cell of the chapter asserts "
        "(assert the value in a hidden cell, or, for a definition, add it to WORD_DEFINITIONS "
        "with its reason):\n  " + "\n  ".join(f"{written!r} in ...{context}..." for written, context in unchecked))


def test_word_definitions_are_used():
    unused = [key for key in WORD_DEFINITIONS
              if not any(written == key[1] for piece in chapter_prose(f"book/{key[0]}")
                         for written, _, _ in prose_number_words(piece))]
    assert not unused, f"WORD_DEFINITIONS entries that match no number word of their chapter: {unused}"
    # An entry whose value the chapter asserts anyway is not needed.
    needless = [key for key in WORD_DEFINITIONS
                if NUMBER_WORDS[key[1].split()[0]] in asserted_values(f"book/{key[0]}")]
    assert not needless, f"WORD_DEFINITIONS entries whose value their chapter asserts: {needless}"


def test_definitions_are_used():
    unused = [key for key in DEFINITIONS
              if not any(written == key[1] for piece in chapter_prose(f"book/{key[0]}")
                         for written, _, _ in prose_numbers(piece))]
    assert not unused, f"DEFINITIONS entries that match no number of their chapter: {unused}"


@pytest.mark.parametrize("key", sorted(CHECKED_BY_TESTS))
def test_numbers_checked_by_tests_are_checked_there(key):
    page, written = key
    path, code = CHECKED_BY_TESTS[key]
    assert any(found == written for piece in chapter_prose(f"book/{page}")
               for found, _, _ in prose_numbers(piece)), f"{written} no longer in book/{page}.md"
    assert code in (ROOT / path).read_text(encoding="utf-8"), f"{path} no longer asserts {code!r}"

