"""Run it yourself: the generated notebooks, the launch buttons, a fork's URLs.

The build writes ``notebooks/<chapter>.ipynb`` (book/_ext/convbook_notebooks.py)
and points Colab and Binder at them on the ``notebooks`` branch
(book/_ext/convbook_repository.py). These tests read the notebooks of the
test run's strict build, run every one of them in a fresh virtual
environment that lacks ``convbook`` (its first cell must install it), with
two threads where the build used one, and compare every text it shows with
the page's (issue 21: what a page prints does not depend on the thread
count), and rebuild the book from the execution cache as a fork would, with
another ``repository.url``.

The Korean edition has Korean notebooks (``ko/notebooks/``, ``ko/<chapter>.ipynb``
on the branch): the same cells, code and outputs as the English ones, with
Markdown translated from the catalogs. Their code being the English
notebooks', the run of the English notebooks covers them; only the install
cell speaks Korean (its comments and messages).

A notebook keeps its answers out of sight (issue 18): the solutions come last,
under their own heading, linked to and from their exercises, and run there
they print what they printed under their exercises in the book. When the
repository cannot be reached, the install cell ends in one sentence that
says what to do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))

from conftest import LANGUAGES, TRANSLATIONS, after_the_build, korean_edition, result_of_work_on_the_site  # noqa: E402
from assemble_notebooks_branch import assemble  # noqa: E402
from convbook_notebooks import _in_language as in_language  # noqa: E402
from convbook_repository import launch_urls, repository_parts, site_url_for  # noqa: E402
from test_visible_code import CHAPTERS  # noqa: E402

pytestmark = pytest.mark.book

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
UPSTREAM = CONFIG["repository"]["url"].rstrip("/")
FORK = "https://github.com/someone/cnn-class"
#: Anything that only means something inside the book's build.
MYST_LEFTOVERS = re.compile(r"\{[\w:.-]+\}`|^\s*(`{3,}|:{3,})\{|^\s*\([\w:.-]+\)=\s*$|\{\{", re.M)
#: The translated edition, under /ko/ of the site and ko/ of the notebooks branch.
KOREAN = "ko"
HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
#: What is not prose in a Markdown cell, removed in this order before the
#: letters are counted: fenced code, math, inline code, link targets, URLs and
#: HTML tags, then parentheses without Hangul (the English term the
#: translation gives where a term first appears, and citations' author names).
NOT_PROSE = [
    re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", re.S | re.M),
    re.compile(r"\$\$.*?\$\$", re.S),
    re.compile(r"\$[^$\n]+\$"),
    re.compile(r"`[^`\n]+`"),
    re.compile(r"\]\([^)\s]+\)"),
    re.compile(r"https?://\S+|<[^<>\n]+>"),
    re.compile(r"\([^()\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]*\)"),
]
#: The least share of Hangul among the letters of a Korean notebook's Markdown cell.
MIN_HANGUL_SHARE = 0.5
#: And of each of its paragraphs (headings, list items) with this many letters
#: or more, so that one paragraph left in English in a long cell is seen too:
#: an English paragraph has no Hangul, a Korean one that lists names (the
#: credits' "Jupyter Book, PyTorch, OpenCV, NumPy, Matplotlib으로 ...") 17 %.
MIN_PARAGRAPH_SHARE, PARAGRAPH_LETTERS = 0.1, 20


def notebook_path(site: Path, page: str, language: str | None = None) -> Path:
    folder = site if language is None else site / language
    return folder / "notebooks" / f"{Path(page).name}.ipynb"


def hangul_share(markdown: str) -> float | None:
    """Hangul's share of the letters of a Markdown text's prose; None when it has no prose.

    >>> hangul_share("합성곱 층(convolutional layer)은 `nn.Conv2d`입니다: $x$")
    1.0
    >>> hangul_share("```python\nprint(1)\n```") is None
    True
    """
    letters = _prose_letters(markdown)
    if not letters:
        return None
    return sum(bool(HANGUL.match(character)) for character in letters) / len(letters)


def _prose_letters(markdown: str) -> list[str]:
    for pattern in NOT_PROSE:
        markdown = pattern.sub(" ", markdown)
    return [character for character in markdown if character.isalpha()]


def paragraphs(markdown: str) -> list[str]:
    """A Markdown text's paragraphs, headings and list items, without its code and display math."""
    for pattern in NOT_PROSE[:2]:
        markdown = pattern.sub("\n\n", markdown)
    return [part for part in re.split(r"\n\s*\n|\n(?=\s*(?:[-*+]|\d+\.)\s)", markdown) if part.strip()]


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_every_chapter_with_code_has_a_notebook(site):
    names = sorted(p.name for p in (site / "notebooks").glob("*.ipynb"))
    assert names == sorted(f"{Path(page).name}.ipynb" for page in CHAPTERS)


@pytest.mark.parametrize("page", CHAPTERS)
def test_notebook_reads_well_outside_the_book(site, page):
    notebook = read(notebook_path(site, page))
    nbformat.validate(notebook)
    for cell in notebook.cells:
        leftover = MYST_LEFTOVERS.search(cell.source)
        assert not leftover, f"{page}: MyST left in a {cell.cell_type} cell: {leftover.group(0)!r} in\n{cell.source[:400]}"
        if cell.cell_type == "code":
            assert "myst_nb" not in cell.source and "glue_checked" not in cell.source, (
                f"{page}: a code cell uses the build's glue:\n{cell.source[:300]}"
            )
    first = code_cells(notebook)[0]
    assert "pip" in first.source and "convbook" in first.source, f"{page}: the first code cell does not install convbook"
    assert f"git+{UPSTREAM}.git" in first.source


@pytest.mark.parametrize("page", CHAPTERS)
def test_notebook_has_the_books_outputs(site, page):
    # Every figure and every printed line of the chapter is in the notebook.
    from run_chapter import read_chapter, visible_code_cells

    source_cells = visible_code_cells(read_chapter(ROOT / f"{page}.md"))
    notebook_cells = read(notebook_path(site, page)).cells
    by_source = {cell.source: cell for cell in notebook_cells if cell.cell_type == "code"}
    for cell in source_cells:
        assert cell.source in by_source, f"{page}: a visible cell is missing from the notebook:\n{cell.source[:200]}"
        outputs = by_source[cell.source].outputs
        figure = (cell.metadata.get("mystnb") or {}).get("figure")
        if figure:
            assert any("image/png" in o.get("data", {}) for o in outputs), f"{page}: figure {figure.get('name')} has no image"
            # Its numbered caption follows it, starting as the source's caption starts.
            after = notebook_cells[notebook_cells.index(by_source[cell.source]) + 1]
            opening = re.split(r"[{`$*\[]", str(figure["caption"]))[0].strip()[:40]
            assert after.cell_type == "markdown" and re.match(r"\*Fig\. \d+\.\d+: ", after.source) \
                and opening in after.source, f"{page}: figure {figure.get('name')} lacks its caption:\n{after.source[:200]}"
        if re.search(r"^\s*print\(", cell.source, flags=re.M):
            assert outputs, f"{page}: a cell that prints has no output:\n{cell.source[:200]}"


def test_glued_values_and_references_become_text(site):
    text = "\n".join(c.source for c in read(notebook_path(site, "book/filters")).cells if c.cell_type == "markdown")
    html = (site / "book" / "filters.html").read_text(encoding="utf-8")
    # The photo's size, as the page states it, in both.
    match = re.search(r"The (\d+) x (\d+) photo", text)
    assert match, "filters notebook: the glued photo size is missing"
    assert f"{match[1]}" in html and f"{match[2]}" in html
    assert f"({site_url_for(UPSTREAM)}book/filters.html#" in text  # a figure reference became a link


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", CHAPTERS)
def test_launch_buttons_open_the_notebook_and_edit_stays_on_main(site, page, language):
    prefix = "" if language == "en" else f"{language}/"
    html = (site / prefix / f"{page}.html").read_text(encoding="utf-8")
    owner, repo = repository_parts(UPSTREAM)
    name = f"{prefix}{Path(page).name}.ipynb"
    assert f'href="https://colab.research.google.com/github/{owner}/{repo}/blob/notebooks/{name}"' in html
    assert f'href="https://mybinder.org/v2/gh/{owner}/{repo}/notebooks?urlpath=lab/tree/{name}"' in html
    assert f'href="{UPSTREAM}/edit/main/{page}.md"' in html
    assert f"/blob/main/{page}.md" not in html
    if language == "en":
        # The download button's notebook is the generated one (the Korean
        # one: test_korean_notebook_is_the_english_one_in_korean).
        download = site / "_sources" / f"{page}.ipynb"
        assert download.read_bytes() == notebook_path(site, page).read_bytes()


def test_launch_urls_follow_the_configuration():
    class Config:
        html_theme_options = {"repository_url": FORK, "launch_buttons": {}}

    urls = launch_urls(Config, "book/filters")
    assert urls["Colab"] == "https://colab.research.google.com/github/someone/cnn-class/blob/notebooks/filters.ipynb"
    assert urls["Binder"] == "https://mybinder.org/v2/gh/someone/cnn-class/notebooks?urlpath=lab/tree/filters.ipynb"

    class KoreanConfig(Config):
        language = KOREAN

    urls = launch_urls(KoreanConfig, "book/filters")
    assert urls["Colab"] == "https://colab.research.google.com/github/someone/cnn-class/blob/notebooks/ko/filters.ipynb"
    assert urls["Binder"] == "https://mybinder.org/v2/gh/someone/cnn-class/notebooks?urlpath=lab/tree/ko/filters.ipynb"
    KoreanConfig.language = "en"
    assert launch_urls(KoreanConfig, "book/filters")["Colab"].endswith("/blob/notebooks/filters.ipynb")
    assert site_url_for(FORK) == "https://someone.github.io/cnn-class/"
    with pytest.raises(ValueError, match="OWNER/REPO"):
        repository_parts("https://gitlab.com/a/b")


def test_notebooks_branch_is_assembled(site, tmp_path):
    files = assemble(site, tmp_path / "branch")
    names = {f.name for f in files}
    assert {f"{Path(page).name}.ipynb" for page in CHAPTERS} <= names
    # English at the root, as the English pages' buttons open them; each
    # translation's (Korean) in ko/, as its pages' buttons open them.
    for page in CHAPTERS:
        name = f"{Path(page).name}.ipynb"
        assert (tmp_path / "branch" / name).read_bytes() == notebook_path(site, page).read_bytes()
        for language in TRANSLATIONS:
            assert (tmp_path / "branch" / language / name).read_bytes() == \
                notebook_path(site, page, language).read_bytes()
    assert {f.parent.name for f in files if f.suffix == ".ipynb"} == {"branch", *TRANSLATIONS}
    for language in TRANSLATIONS:
        assert f"`{language}/`" in (tmp_path / "branch" / "README.md").read_text()
    requirements = (tmp_path / "branch" / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements
    assert re.search(r"^torch==\d", requirements, flags=re.M)
    assert f"convbook @ git+{UPSTREAM}.git" in requirements
    assert "README.md" in names


def test_the_branch_needs_every_languages_notebooks(site, tmp_path):
    # A site built without its Korean edition, for a book in English and
    # Korean, gives no branch (the Korean pages' buttons would open nothing).
    english_only = tmp_path / "site"
    shutil.copytree(site / "notebooks", english_only / "notebooks")
    with pytest.raises(SystemExit, match=f"{KOREAN}/notebooks"):
        assemble(english_only, tmp_path / "branch", languages=("en", KOREAN))
    # An English-only book (`languages: [en]`) needs no more.
    assert (tmp_path / "branch" / "filters.ipynb").exists() is False
    files = assemble(english_only, tmp_path / "branch", languages=("en",))
    assert {f.parent for f in files} == {tmp_path / "branch"}


# --- The Korean notebooks ------------------------------------------------------


@korean_edition
def test_every_chapter_has_a_korean_notebook(site):
    names = sorted(p.name for p in (site / KOREAN / "notebooks").glob("*.ipynb"))
    assert names == sorted(f"{Path(page).name}.ipynb" for page in CHAPTERS)


@korean_edition
@pytest.mark.parametrize("page", CHAPTERS)
def test_korean_notebook_is_the_english_one_in_korean(site, page):
    english, korean = read(notebook_path(site, page)), read(notebook_path(site, page, KOREAN))
    nbformat.validate(korean)
    assert korean.metadata == english.metadata
    assert [(c.cell_type, c.id) for c in korean.cells] == [(c.cell_type, c.id) for c in english.cells], (
        f"{page}: the Korean notebook's cells are not the English notebook's"
    )
    korean_site = f"{site_url_for(UPSTREAM)}{KOREAN}/"
    for en, ko in zip(english.cells, korean.cells):
        if "install" in ko.metadata.get("tags", []):
            # The install cell speaks Korean: its comments and messages (test_install_cell_speaks_korean).
            continue
        if ko.cell_type == "code":
            # The same code, the same outputs: the code ran once, in English. But
            # the figures are its Korean drawings, and the style call draws Korean
            # when the notebook is run again (issue 24).
            assert (ko.source, figures_aside(ko.outputs), ko.execution_count, ko.metadata) == \
                (in_language(en.source, KOREAN), figures_aside(en.outputs), en.execution_count, en.metadata), \
                f"{page}: a code cell differs:\n{ko.source[:200]}"
            continue
        leftover = MYST_LEFTOVERS.search(ko.source)
        assert not leftover, f"{page}: MyST left in a Korean Markdown cell: {leftover.group(0)!r} in\n{ko.source[:400]}"
        share = hangul_share(ko.source)
        assert share is None or share >= MIN_HANGUL_SHARE, (
            f"{page}: a Markdown cell of the Korean notebook is only {share:.0%} Hangul (untranslated text?):\n"
            f"{ko.source[:600]}"
        )
        assert share is not None or hangul_share(en.source) is None, f"{page}: a cell lost its prose:\n{en.source[:300]}"
        for paragraph in paragraphs(ko.source):
            if len(_prose_letters(paragraph)) >= PARAGRAPH_LETTERS:
                assert hangul_share(paragraph) >= MIN_PARAGRAPH_SHARE, (
                    f"{page}: a paragraph of the Korean notebook is in English (untranslated?):\n{paragraph[:400]}"
                )
        # Links to the book go to the Korean pages.
        for url in re.findall(r"\]\((https?://[^)\s]+)\)", ko.source):
            # Pages (not the downloads, such as the one site zip of both languages).
            if url.startswith(site_url_for(UPSTREAM)) and ".html" in url:
                assert url.startswith(korean_site), f"{page}: a Korean notebook links to an English page: {url}"
    # The Korean site's download button gives this notebook.
    assert (site / KOREAN / "_sources" / f"{page}.ipynb").read_bytes() == notebook_path(site, page, KOREAN).read_bytes()


def figures_aside(outputs) -> list:
    """``outputs`` with each figure's PNG left out (the Korean notebook's are drawn in Korean)."""
    import copy

    outputs = copy.deepcopy(outputs)
    for output in outputs:
        if "image/png" in output.get("data", {}) and "<Figure size" in output["data"].get("text/plain", ""):
            output["data"]["image/png"] = "(a figure)"
    return outputs


def code_shape(source: str) -> str:
    """A cell's code without its comments and the words of its messages (f-strings), as ``ast`` dumps it."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            node.values = [value for value in node.values if isinstance(value, ast.FormattedValue)]
    return ast.dump(tree)


def test_install_cell_speaks_korean(site):
    english = code_cells(read(notebook_path(site, "book/filters")))[0]
    korean = code_cells(read(notebook_path(site, "book/filters", KOREAN)))[0]
    assert code_shape(korean.source) == code_shape(english.source), "the Korean install cell's code is not the English one's"
    comments = [line for line in korean.source.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) >= 3 and all(HANGUL.search(line) for line in comments), (
        f"a comment of the Korean install cell is not Korean:\n{korean.source}"
    )
    # Every chapter's notebook has the same install cell, in its language.
    for page in CHAPTERS:
        for language, cell in ((None, english), (KOREAN, korean)):
            assert code_cells(read(notebook_path(site, page, language)))[0].source == cell.source, (page, language)


def markdown_text(notebook) -> list[str]:
    return [cell.source if cell.cell_type == "markdown" else "" for cell in notebook.cells]


@pytest.mark.parametrize("language", [None, KOREAN])
@pytest.mark.parametrize("page", CHAPTERS)
def test_solutions_come_last_linked_both_ways(site, page, language):
    """No answer under its exercise: every solution is in the last section, and each links to its exercise and back."""
    labels = re.findall(r"^```\{exercise\}[^\n]*\n:label: ([\w-]+)", (ROOT / f"{page}.md").read_text(), re.M)
    solved = re.findall(r"^`{3,}\{solution(?:-start)?\} ([\w-]+)", (ROOT / f"{page}.md").read_text(), re.M)
    cells = markdown_text(read(notebook_path(site, page, language)))
    heading = "## " + ("풀이" if language else "Solutions")
    assert labels and cells.count(heading) == 1, f"{page}: no single {heading!r} heading in the notebook"
    split = cells.index(heading)
    before, after = "\n".join(cells[:split]), "\n".join(cells[split:])
    solution_word = "풀이:" if language else "Solution to"
    assert f"**{solution_word}" not in before, f"{page}: a solution is printed before the notebook's solutions"
    for label in solved:
        assert f'<a id="{label}"></a>' in before and f"](#solution-{label})" in before, (
            f"{page}: exercise {label} has no anchor or no link to its solution"
        )
        assert f'<a id="solution-{label}"></a>' in after and f"](#{label})" in after, (
            f"{page}: the solution of {label} has no anchor or no link back to its exercise"
        )
    # In the order of their exercises.
    positions = [after.index(f'<a id="solution-{label}"></a>') for label in solved]
    assert positions == sorted(positions), f"{page}: the solutions are not in their exercises' order"


def _segments(cells, prefix: str) -> dict[str, list]:
    """The cells from each anchor ``<a id="{prefix}label">`` up to the next such anchor."""
    segments, current = {}, None
    for cell in cells:
        if cell.cell_type == "markdown":
            anchor = re.search(rf'<a id="{prefix}([\w-]+)"></a>', cell.source)
            if anchor and (prefix or not anchor.group(1).startswith("solution-")):
                current = segments.setdefault(anchor.group(1), [])
        if current is not None:
            current.append(cell)
    return segments


def _words(cells) -> str:
    """Markdown cells' text as compared with a source's fragments: no markup, single spaces."""
    text = " ".join(cell.source for cell in cells if cell.cell_type == "markdown")
    return " ".join(re.sub(r"\]\([^)]*\)|<[^>]+>|[*_\[\]]", " ", text).split())


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_exercise_and_solution_of_the_source_is_in_the_notebook(site, page):
    """Issue 19: each exercise's words under its anchor, each solution's words and
    code under its own, as the chapter's source has them (not as the site has
    them: a converter that drops a body, or a build that lost it, both fail)."""
    from source_text import exercises, fragments

    cells = read(notebook_path(site, page)).cells
    asked, answered = _segments(cells, ""), _segments(cells, "solution-")
    source = exercises(page)
    assert source, f"{page}: the source has no exercises"
    problems = []
    for exercise in source:
        body = _words(asked.get(exercise.label, []))
        problems += [f"exercise {exercise.label}: {words!r}" for words in fragments(exercise.body)
                     if " ".join(words.split()) not in body]
        if not exercise.solved:
            continue
        solution = answered.get(exercise.label, [])
        text = _words(solution)
        problems += [f"solution of {exercise.label}: {words!r}" for piece in exercise.solution
                     for words in fragments(piece) if " ".join(words.split()) not in text]
        code = [cell.source for cell in solution if cell.cell_type == "code"]
        problems += [f"solution of {exercise.label}: code cell {cell[:60]!r}"
                     for cell in exercise.solution_code if cell not in code]
    assert not problems, f"{page}: the source's words missing from the notebook:\n  " + "\n  ".join(problems)


@korean_edition
@pytest.mark.parametrize("page", CHAPTERS)
def test_every_exercise_solution_and_caption_of_the_source_is_in_the_korean_notebook(site, page):
    """Issue 19, the Korean edition: each exercise's and solution's words under
    their anchors and each figure's caption under its figure, as the chapter's
    source has them translated by its catalog. (The Korean notebook's code
    cells are the English notebook's: test_korean_notebook_is_the_english_one_in_korean.)"""
    from run_chapter import read_chapter, visible_code_cells
    from source_text import exercises, fragments, translation

    translate = translation(page, KOREAN)
    cells = read(notebook_path(site, page, KOREAN)).cells
    asked, answered = _segments(cells, ""), _segments(cells, "solution-")
    problems = []

    def require(pieces: list[str], where: str, text: str) -> None:
        for piece in pieces:
            if not fragments(piece):
                continue
            korean = translate(piece)
            if korean is None:
                problems.append(f"{where}: no message of the catalog in {piece[:80]!r}")
                continue
            problems.extend(f"{where}: {words!r}" for message in korean for words in fragments(message)
                            if " ".join(words.split()) not in text)

    for exercise in exercises(page):
        require([exercise.body], f"exercise {exercise.label}", _words(asked.get(exercise.label, [])))
        if exercise.solved:
            solution = answered.get(exercise.label, [])
            require(exercise.solution, f"solution of {exercise.label}", _words(solution))
            code = [cell.source for cell in solution if cell.cell_type == "code"]
            problems += [f"solution of {exercise.label}: code cell {cell[:60]!r}"
                         for cell in exercise.solution_code if cell not in code]
    by_source = {cell.source: index for index, cell in enumerate(cells) if cell.cell_type == "code"}
    for cell in visible_code_cells(read_chapter(ROOT / f"{page}.md")):
        figure = (cell.metadata.get("mystnb") or {}).get("figure") or {}
        if not figure.get("caption"):
            continue
        after = cells[by_source[cell.source] + 1] if cell.source in by_source else None
        if after is None or after.cell_type != "markdown" or not re.match(r"\*그림 \d+\.\d+: ", after.source):
            problems.append(f"figure {figure.get('name')}: no numbered caption after it")
            continue
        require([str(figure["caption"])], f"caption of {figure.get('name')}", _words([after]))
    assert not problems, f"{page}: the source's words, translated, missing from the Korean notebook:\n  " + \
        "\n  ".join(problems)


@pytest.mark.parametrize("page", CHAPTERS)
def test_english_notebook_stays_english(site, page):
    for cell in read(notebook_path(site, page)).cells:
        assert not HANGUL.search(cell.source), f"{page}: Hangul in an English notebook:\n{cell.source[:300]}"
        if cell.cell_type == "markdown":
            assert f"{site_url_for(UPSTREAM)}{KOREAN}/" not in cell.source, f"{page}: an English notebook links to /ko/"


@korean_edition
def test_korean_glued_values_and_references_become_text(site):
    english = "\n".join(c.source for c in read(notebook_path(site, "book/filters")).cells if c.cell_type == "markdown")
    korean = "\n".join(c.source for c in read(notebook_path(site, "book/filters", KOREAN)).cells
                       if c.cell_type == "markdown")
    height, width = re.search(r"The (\d+) x (\d+) photo", english).groups()
    assert f"{height} x {width} 사진" in korean  # glued values, inside a translated sentence
    assert f"({site_url_for(UPSTREAM)}{KOREAN}/book/filters.html#fig-" in korean  # a figure reference
    assert "[그림 2.1](" in korean  # numbered as the Korean pages number it
    assert "**연습" in korean and "# 필터" in korean


def test_pyproject_accepts_the_torch_colab_has():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'"torch>=2\.\d+"', pyproject), "pyproject.toml should give torch a lower bound"
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text()


def test_the_repository_url_is_written_once():
    # A fork edits one line: no other source names the upstream repository.
    hits = []
    for path in ROOT.rglob("*"):
        if any(part in {".git", ".venv", "node_modules", "_build", "__pycache__", "tests"} for part in path.parts):
            continue
        if path.is_file() and path.suffix in {".md", ".yml", ".yaml", ".py", ".html", ".js", ".toml", ".txt", ".css"}:
            if path.name == "_config.yml":
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            owner, repo = repository_parts(UPSTREAM)
            if f"github.com/{owner}/{repo}" in text or f"{owner}.github.io" in text:
                hits.append(str(path.relative_to(ROOT)))
    assert not hits, f"the upstream repository is named outside _config.yml: {hits}"


# --- A fork's build, from the execution cache --------------------------------


@pytest.fixture(scope="module")
def fork_site(site, tmp_path_factory) -> Path:
    return result_of_work_on_the_site("fork_site", site, tmp_path_factory)


@after_the_build("fork_site")
def build_fork(site: Path, tmp_path_factory) -> Path:
    """The book built as an English-only fork: ``repository.url`` and ``languages: [en]`` changed.

    It runs ``make book``'s script on the fork's ``_config.yml`` and starts
    from a copy of the test run's build folder, so every notebook comes from
    the execution cache (nothing executes again): this is also the cached
    rebuild whose download notebooks must keep their outputs.
    """
    output = tmp_path_factory.mktemp("fork")
    shutil.copytree(site.parent, output / "_build", symlinks=True,
                    ignore=lambda folder, names: [name for name in names if Path(folder) == site.parent
                                                  and name in {"html", *TRANSLATIONS}])
    config_text = (ROOT / "_config.yml").read_text(encoding="utf-8").replace(UPSTREAM, FORK)
    assert FORK in config_text
    config_text, count = re.subn(r"(?m)^languages:.*$", "languages: [en]", config_text)
    assert count == 1, "_config.yml has no `languages:` line"
    config = output / "fork_config.yml"
    config.write_text(config_text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_book.py"), "--config", str(config), "--path-output",
         str(output)],
        cwd=ROOT, capture_output=True, text=True,
    )
    log = result.stdout + result.stderr
    (output / "build.log").write_text(log)
    assert result.returncode == 0, "\n".join(log.splitlines()[-40:])
    assert "Executing notebook" not in log, "the fork's build executed a notebook instead of using the cache"
    return output / "_build" / "html"


def test_a_fork_links_only_to_itself(fork_site):
    owner, repo = repository_parts(UPSTREAM)
    offenders = []
    for path in fork_site.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".ipynb", ".js", ".txt", ".xml"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            if f"github.com/{owner}/{repo}" in text or f"{owner}.github.io/{repo}" in text:
                offenders.append(str(path.relative_to(fork_site)))
    assert not offenders, f"the fork's site still links to the original: {offenders[:10]}"
    html = (fork_site / "book" / "filters.html").read_text(encoding="utf-8")
    assert 'href="https://colab.research.google.com/github/someone/cnn-class/blob/notebooks/filters.ipynb"' in html
    assert 'href="https://someone.github.io/cnn-class/book/filters.html"' in html  # canonical link
    notebook = read(notebook_path(fork_site, "book/filters"))
    assert f"git+{FORK}.git" in code_cells(notebook)[0].source


def test_an_english_only_fork_has_no_korean(site, fork_site):
    """`languages: [en]`: no Korean pages, no switcher, no link to /ko/ (it would be a 404), no Hangul."""
    assert not (fork_site / KOREAN).exists(), "an English-only build wrote a Korean edition"
    hangul = re.compile("[\uac00-\ud7a3]")
    pages = sorted(fork_site.rglob("*.html"))
    assert len(pages) > 10
    offenders = {}
    for path in pages:
        html = path.read_text(encoding="utf-8")
        # The interactive pages' texts before their scripts run come in both
        # languages, the page's own shown by their shared stylesheet
        # (interactive/interactive.css).
        shown = re.sub(r'<p class="[^"]*\bci-lang-ko\b[^"]*" lang="ko">.*?</p>', "", html, flags=re.S)
        found = [what for what, present in (
            ("a language switcher", "convbook-language" in html),
            ("an hreflang alternate", 'rel="alternate" hreflang' in html),
            (f"a link into {KOREAN}/", re.search(rf'href="(?:\.\./)*{KOREAN}/', html) is not None),
            ("Hangul", hangul.search(shown) is not None),
        ) if present]
        if found:
            offenders[str(path.relative_to(fork_site))] = found
    assert not offenders, f"Korean left in an English-only site: {dict(list(offenders.items())[:8])}"
    # The test run's own site, built with the project's languages, has what
    # this test looks for (the check can fail).
    if TRANSLATIONS:
        project = (site / "book" / "filters.html").read_text(encoding="utf-8")
        assert "convbook-language" in project and 'rel="alternate" hreflang' in project


def test_cached_rebuild_keeps_the_notebooks_outputs(site, fork_site):
    for page in CHAPTERS:
        fresh = code_cells(read(notebook_path(site, page)))
        cached = code_cells(read(site / "_sources" / f"{page}.ipynb"))
        cached_fork = code_cells(read(fork_site / "_sources" / f"{page}.ipynb"))
        assert [bool(c.outputs) for c in cached_fork] == [bool(c.outputs) for c in fresh], page
        assert any(c.outputs for c in cached), page


# --- Every notebook runs where convbook is not installed ---------------------


@pytest.fixture(scope="module")
def bare_kernel(tmp_path_factory) -> tuple[str, Path]:
    """A kernel in a new virtual environment that sees this one's libraries but not convbook.

    The new environment reuses the installed numpy, torch, OpenCV, matplotlib
    and ipykernel through a ``.pth`` file (no download of torch), and
    ``convbook`` is not importable there until a notebook's first cell
    installs it.
    """
    return make_bare_kernel(tmp_path_factory.mktemp("bare"))


@pytest.fixture(scope="module")
def kernel_without_convbook(tmp_path_factory) -> tuple[str, Path]:
    """Another bare kernel, where no test installs convbook (the failing install cell's)."""
    return make_bare_kernel(tmp_path_factory.mktemp("never-installed"))


def make_bare_kernel(home: Path) -> tuple[str, Path]:
    import sysconfig

    env_dir = home / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    # A plain path line: this environment's site-packages joins sys.path, but
    # its own .pth files (convbook's editable install) are not processed.
    ours = sysconfig.get_paths()["purelib"]
    Path(purelib, "book-libraries.pth").write_text(ours + "\n")
    probe = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('convbook') is None, u.find_spec('torch') is not None)"],
        capture_output=True, text=True, check=True, cwd=home,
    ).stdout.split()
    assert probe == ["True", "True"], f"the bare environment is not bare: {probe}"
    kernels = home / "jupyter" / "kernels" / "bare-python"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "bare", "language": "python",
    }))
    return "bare-python", home


def run_notebook(path: Path, kernel: str, cwd: Path, cells: int | None = None, allow_errors: bool = False):
    """Run a notebook (or its first ``cells`` cells) top to bottom in a fresh kernel; return it run."""
    import nbclient

    notebook = read(path)
    if cells is not None:
        notebook.cells = notebook.cells[:cells]
    for cell in code_cells(notebook):
        cell.outputs = []
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name=kernel, allow_errors=allow_errors,
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return notebook


def printed(cell) -> str:
    """What a code cell printed (its stdout)."""
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def text_outputs(cell) -> dict[str, str]:
    """Every text a code cell shows: its stdout and stderr, each result's plain text, its error."""
    texts = {"stdout": printed(cell),
             "stderr": "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stderr")}
    texts["results"] = "\n".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs
                                 if o.output_type in ("execute_result", "display_data"))
    texts["error"] = "\n".join(f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error")
    return {kind: text for kind, text in texts.items() if text}


#: The cells whose text differs from run to run by nature, not by the number
#: of threads: (chapter, a line of the cell's code) and why. Every other cell
#: of every notebook, re-run with two threads, shows what the page shows.
VARIABLE_OUTPUTS = {
    ("book/im2col", "times = {"): "it prints the measured times of the loop, im2col and F.conv2d",
}


def test_each_variable_output_names_one_cell(site):
    # An entry that names no cell (or several) would excuse nothing (or too much).
    for (page, line), why in VARIABLE_OUTPUTS.items():
        matches = [cell for cell in code_cells(read(notebook_path(site, page))) if line in cell.source]
        assert len(matches) == 1, f"{page}: {line!r} ({why}) names {len(matches)} cells, not one"


def differs_from_the_book(page: str, ran, book) -> str | None:
    """The first code cell (not the install cell) whose text outputs differ from the built page's."""
    for cell, expected in zip(code_cells(ran), code_cells(book), strict=True):
        if "install" in cell.metadata.get("tags", []):
            continue  # what pip prints where it installs
        if any(chapter == page and line in cell.source for chapter, line in VARIABLE_OUTPUTS):
            continue
        if text_outputs(cell) != text_outputs(expected):
            return (f"{page}: a cell shows otherwise than in the book:\n{cell.source[:300]}\n"
                    f"shown:\n{text_outputs(cell)}\nthe book:\n{text_outputs(expected)}")
    return None


#: Where the install cell cannot reach convbook: a folder that does not exist,
#: and a repository on a closed port (no network needed to fail).
UNREACHABLE = {None: "/nonexistent/conv-book", KOREAN: "convbook @ git+https://127.0.0.1:9/conv-book.git"}


@pytest.mark.parametrize("language", [None, KOREAN])
def test_install_cell_says_what_to_do_when_the_repository_is_unreachable(
        site, kernel_without_convbook, monkeypatch, tmp_path, language):
    kernel, home = kernel_without_convbook
    monkeypatch.setenv("JUPYTER_PATH", str(home / "jupyter"))
    monkeypatch.setenv("CONVBOOK_PIP_SOURCE", UNREACHABLE[language])
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    notebook = read(notebook_path(site, "book/filters", language))
    install = next(i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code")
    ran = run_notebook(notebook_path(site, "book/filters", language), kernel, tmp_path, cells=install + 1,
                       allow_errors=True)
    outputs = ran.cells[install].outputs
    shown = "\n".join(o.get("text", "") or "\n".join(o.get("traceback", [])) for o in outputs)
    source = UNREACHABLE[language]
    # Progress first: what it installs, from where, before pip's own lines.
    assert outputs and outputs[0].output_type == "stream" and source in outputs[0].text.splitlines()[0], shown
    assert len(outputs[0].text.splitlines()) > 1 or len(outputs) > 2, f"pip's lines are not shown:\n{shown}"
    # Then it ends in one sentence of advice, not in a traceback.
    error = outputs[-1]
    assert error.output_type == "error" and "CalledProcessError" not in shown, shown
    assert len(error.traceback) == 1, f"the install cell ends in a traceback:\n{shown}"
    message = error.traceback[0]
    assert "\n" not in message and source in message, message
    for advice in ("pip install -e .", "CONVBOOK_PIP_SOURCE", f"{UPSTREAM}"):
        assert advice in message, f"the message does not say {advice!r}: {message}"
    sentence_ends = re.findall(r"[.?!](?:\s|$)", re.sub(r"`[^`]*`", "", message))
    assert len(sentence_ends) == 1 and message.endswith("."), f"not one sentence: {message}"
    if language == KOREAN:
        assert hangul_share(message) > MIN_HANGUL_SHARE, message




def test_every_notebook_runs_after_its_install_cell(site, bare_kernel, monkeypatch, tmp_path):
    kernel, home = bare_kernel
    monkeypatch.setenv("JUPYTER_PATH", str(home / "jupyter"))
    # GitHub cannot be reached here: the install cell takes the local clone.
    monkeypatch.setenv("CONVBOOK_PIP_SOURCE", str(ROOT))
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # Two threads per kernel, where the book's build runs each kernel on one:
    # what a page prints must not depend on the order in which a sum is added
    # up (issue 21), so every text the notebook shows must be the page's.
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(variable, "2")
    pages = list(CHAPTERS)
    # The first notebook installs convbook; the others then find it.
    first_dir = tmp_path / "first"
    first_dir.mkdir()
    ran_first = run_notebook(notebook_path(site, pages[0]), kernel, first_dir)
    where = subprocess.run(
        [str(home / "venv" / "bin" / "python"), "-c", "import convbook; print(convbook.__file__)"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    ).stdout.strip()
    assert str(home / "venv") in where, f"convbook was not installed by the first cell: {where}"

    def run(page: str) -> str | None:
        cwd = tmp_path / Path(page).name
        cwd.mkdir()
        try:
            ran = run_notebook(notebook_path(site, page), kernel, cwd)
        except Exception as error:  # report every failing notebook at once
            return f"{page}: {type(error).__name__}: {str(error)[-1500:]}"
        # Every cell shows what the page shows; the solutions too, run last,
        # after the whole chapter, where the book ran each under its exercise.
        return differs_from_the_book(page, ran, read(notebook_path(site, page)))

    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(run, pages[1:]) if f]
    failures += [f for f in [differs_from_the_book(pages[0], ran_first, read(notebook_path(site, pages[0])))] if f]
    assert not failures, "\n\n".join(failures)
