"""Run it yourself: the generated notebooks, the launch buttons, a fork's URLs.

The build writes ``notebooks/<chapter>.ipynb`` (book/_ext/convbook_notebooks.py)
and points Colab and Binder at them on the ``notebooks`` branch
(book/_ext/convbook_repository.py). These tests read the notebooks of the
test run's strict build, run every one of them in a fresh virtual
environment that lacks ``convbook`` (its first cell must install it), and
rebuild the book from the execution cache as a fork would, with another
``repository.url``.
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

from assemble_notebooks_branch import assemble  # noqa: E402
from convbook_repository import launch_urls, repository_parts, site_url_for  # noqa: E402
from test_visible_code import CHAPTERS  # noqa: E402

pytestmark = pytest.mark.book

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
UPSTREAM = CONFIG["repository"]["url"].rstrip("/")
FORK = "https://github.com/someone/cnn-class"
#: Anything that only means something inside the book's build.
MYST_LEFTOVERS = re.compile(r"\{[\w:.-]+\}`|^\s*(`{3,}|:{3,})\{|^\s*\([\w:.-]+\)=\s*$|\{\{", re.M)


def notebook_path(site: Path, page: str) -> Path:
    return site / "notebooks" / f"{Path(page).name}.ipynb"


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
    by_source = {cell.source: cell for cell in code_cells(read(notebook_path(site, page)))}
    for cell in source_cells:
        assert cell.source in by_source, f"{page}: a visible cell is missing from the notebook:\n{cell.source[:200]}"
        outputs = by_source[cell.source].outputs
        figure = (cell.metadata.get("mystnb") or {}).get("figure")
        if figure:
            assert any("image/png" in o.get("data", {}) for o in outputs), f"{page}: figure {figure.get('name')} has no image"
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


@pytest.mark.parametrize("page", CHAPTERS)
def test_launch_buttons_open_the_notebook_and_edit_stays_on_main(site, page):
    html = (site / f"{page}.html").read_text(encoding="utf-8")
    owner, repo = repository_parts(UPSTREAM)
    name = f"{Path(page).name}.ipynb"
    assert f'href="https://colab.research.google.com/github/{owner}/{repo}/blob/notebooks/{name}"' in html
    assert f'href="https://mybinder.org/v2/gh/{owner}/{repo}/notebooks?urlpath=lab/tree/{name}"' in html
    assert f'href="{UPSTREAM}/edit/main/{page}.md"' in html
    assert f"/blob/main/{page}.md" not in html
    # The download button's notebook is the generated one.
    download = site / "_sources" / f"{page}.ipynb"
    assert download.read_bytes() == notebook_path(site, page).read_bytes()


def test_launch_urls_follow_the_configuration():
    class Config:
        html_theme_options = {"repository_url": FORK, "launch_buttons": {}}

    urls = launch_urls(Config, "book/filters")
    assert urls["Colab"] == "https://colab.research.google.com/github/someone/cnn-class/blob/notebooks/filters.ipynb"
    assert urls["Binder"] == "https://mybinder.org/v2/gh/someone/cnn-class/notebooks?urlpath=lab/tree/filters.ipynb"
    assert site_url_for(FORK) == "https://someone.github.io/cnn-class/"
    with pytest.raises(ValueError, match="OWNER/REPO"):
        repository_parts("https://gitlab.com/a/b")


def test_notebooks_branch_is_assembled(site, tmp_path):
    files = assemble(site, tmp_path / "branch")
    names = {f.name for f in files}
    assert {f"{Path(page).name}.ipynb" for page in CHAPTERS} <= names
    requirements = (tmp_path / "branch" / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements
    assert re.search(r"^torch==\d", requirements, flags=re.M)
    assert f"convbook @ git+{UPSTREAM}.git" in requirements
    assert "README.md" in names


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
    """The book built as a fork with only ``repository.url`` changed.

    It starts from a copy of the test run's build folder, so every notebook
    comes from the execution cache (nothing executes again): this is also
    the cached rebuild whose download notebooks must keep their outputs.
    """
    output = tmp_path_factory.mktemp("fork")
    shutil.copytree(site.parent, output / "_build", symlinks=True)
    shutil.rmtree(output / "_build" / "html")
    config_text = (ROOT / "_config.yml").read_text(encoding="utf-8").replace(UPSTREAM, FORK)
    assert FORK in config_text
    # Jupyter Book finds local extensions relative to the config file's folder.
    config_text = config_text.replace(": book/_ext", f": {ROOT / 'book' / '_ext'}")
    config = output / "_config.yml"
    config.write_text(config_text, encoding="utf-8")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--config", str(config), "--path-output", str(output),
         "-n", "-W", "--keep-going"],
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
    import sysconfig

    home = tmp_path_factory.mktemp("bare")
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


def run_notebook(path: Path, kernel: str, cwd: Path) -> None:
    import nbclient

    notebook = read(path)
    for cell in code_cells(notebook):
        cell.outputs = []
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name=kernel, resources={"metadata": {"path": str(cwd)}})
    client.execute()


def test_every_notebook_runs_after_its_install_cell(site, bare_kernel, monkeypatch, tmp_path):
    kernel, home = bare_kernel
    monkeypatch.setenv("JUPYTER_PATH", str(home / "jupyter"))
    # GitHub cannot be reached here: the install cell takes the local clone.
    monkeypatch.setenv("CONVBOOK_PIP_SOURCE", str(ROOT))
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    pages = list(CHAPTERS)
    # The first notebook installs convbook; the others then find it.
    first_dir = tmp_path / "first"
    first_dir.mkdir()
    run_notebook(notebook_path(site, pages[0]), kernel, first_dir)
    where = subprocess.run(
        [str(home / "venv" / "bin" / "python"), "-c", "import convbook; print(convbook.__file__)"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    ).stdout.strip()
    assert str(home / "venv") in where, f"convbook was not installed by the first cell: {where}"

    def run(page: str) -> str | None:
        cwd = tmp_path / Path(page).name
        cwd.mkdir()
        try:
            run_notebook(notebook_path(site, page), kernel, cwd)
        except Exception as error:  # report every failing notebook at once
            return f"{page}: {type(error).__name__}: {str(error)[-1500:]}"
        return None

    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(run, pages[1:]) if f]
    assert not failures, "\n\n".join(failures)
