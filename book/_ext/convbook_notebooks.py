"""Sphinx extension: a self-contained Jupyter notebook for every chapter.

After an HTML build, every page with code gets ``notebooks/<chapter>.ipynb``
in the site, and the theme's ".ipynb" download gets the same file. Each
notebook:

* carries this build's outputs, taken from the execution cache (so a cached
  rebuild gives the same notebook as a fresh one);
* reads well outside the book: glued values are replaced by their values,
  cross-references by links to the published pages, glossary terms by their
  text, citations by author and year, and directives (exercises, solutions,
  literal includes, notes) by plain Markdown; a figure's caption follows its
  cell;
* starts with one cell that installs ``convbook`` from the repository named
  in ``_config.yml`` when it is not importable (Colab has the rest), and
  holds no hidden cell: the book's hidden cells only glue and assert.

The Pages workflow publishes ``notebooks/`` to the repository's
``notebooks`` branch, which the Colab and Binder buttons open
(``book/_ext/convbook_repository.py``).
"""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path, PurePosixPath

import nbformat
from sphinx.util import logging

logger = logging.getLogger(__name__)

HIDDEN_TAGS = {"remove-cell"}
#: Set this environment variable to a pip requirement (a local path, say) to
#: install convbook from somewhere else than the repository (the tests do).
INSTALL_OVERRIDE = "CONVBOOK_PIP_SOURCE"

_ROLE = re.compile(r"\{(?P<name>[\w:.-]+)\}`(?P<content>[^`]*?)`")
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:.-]+)\}(?P<arg>.*)$")
_TARGET = re.compile(r"^\s*\([\w:.-]+\)=\s*$")
_COMMENT = re.compile(r"^\s*%( |$)")
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
_ADMONITIONS = {
    "note", "tip", "important", "warning", "attention", "caution", "danger", "error",
    "hint", "seealso", "admonition", "dropdown",
}


class NotebookContext:
    """What converting one page needs from the build."""

    def __init__(self, app, docname: str, glue: dict[str, str]):
        self.app = app
        self.env = app.env
        self.docname = docname
        self.glue = glue
        self.base = app.config.html_baseurl or ""
        self.labels = self.env.domaindata["std"]["labels"]
        self.fignumbers = getattr(self.env, "toc_fignumbers", {})
        self.numfig_format = app.config.numfig_format
        self.citations = _citation_labels(app)

    # -- links ------------------------------------------------------------
    def page_url(self, docname: str, anchor: str = "") -> str:
        url = f"{self.base}{docname}.html"
        return f"{url}#{anchor}" if anchor else url

    def number(self, label: str, kind: str) -> str | None:
        docname, labelid, _ = self.labels.get(label, (None, None, None))
        numbers = self.fignumbers.get(docname, {}).get(kind, {}).get(labelid)
        if not numbers:
            return None
        return self.numfig_format[kind] % ".".join(str(n) for n in numbers)

    def title(self, docname: str) -> str:
        title = self.env.titles.get(docname)
        return title.astext() if title is not None else docname

    # -- roles ------------------------------------------------------------
    def role(self, name: str, content: str) -> str:
        explicit = _EXPLICIT.match(content)
        text, target = (explicit["text"], explicit["target"]) if explicit else (None, content)
        if name in ("glue:text", "glue", "glue:"):
            key, _, spec = target.partition(":")
            return self.glued(key, spec)
        if name == "term":
            return text or target
        if name == "numref":
            docname, labelid, _ = self.labels.get(target, (self.docname, target, ""))
            kind = "figure"
            for candidate in ("figure", "exercise", "table", "code-block"):
                if self.number(target, candidate):
                    kind = candidate
                    break
            number = self.number(target, kind) or target
            if text and "%s" in text:
                number = text.replace("%s", number.split(" ", 1)[-1])
            elif text:
                number = text
            return f"[{number}]({self.page_url(docname, labelid)})"
        if name == "ref":
            docname, labelid, sectname = self.labels.get(target, (self.docname, target, target))
            if labelid.startswith("chapter-"):
                return f"[{text or self.title(docname)}]({self.page_url(docname)})"
            return f"[{text or sectname}]({self.page_url(docname, labelid)})"
        if name == "doc":
            docname = str(PurePosixPath(self.docname).parent / target) if not target.startswith("/") else target[1:]
            docname = _normalise(docname)
            return f"[{text or self.title(docname)}]({self.page_url(docname)})"
        if name.startswith("cite"):
            return self.cite(name, target)
        if name == "math":
            return f"${content}$"
        if name == "eq":
            return f"({content})"
        return text or content

    def glued(self, key: str, spec: str) -> str:
        from myst_nb.core.variables import format_plain_text

        if key not in self.glue or "text/plain" not in self.glue[key]:
            logger.warning(f"[convbook] {self.docname}: no glued value {key!r} for its notebook")
            return key
        return format_plain_text(self.glue[key]["text/plain"], spec)

    def glued_math(self, key: str) -> str:
        latex = self.glue.get(key, {}).get("text/latex")
        if latex is None:
            return f"$$\n{self.glued(key, '')}\n$$"
        return "$$\n" + latex.strip().strip("$").strip() + "\n$$"

    def cite(self, name: str, keys: str) -> str:
        labels = []
        for key in (k.strip() for k in keys.split(",")):
            authors, year = self.citations.get(key, (key, ""))
            labels.append((authors, year))
        references = self.page_url("book/references")
        if name == "cite:t":
            return "; ".join(f"[{a} ({y})]({references})" for a, y in labels)
        return "([" + "; ".join(f"{a}, {y}" for a, y in labels) + f"]({references}))"


def _normalise(docname: str) -> str:
    parts: list[str] = []
    for part in docname.split("/"):
        if part == "..":
            parts.pop()
        elif part and part != ".":
            parts.append(part)
    return "/".join(parts)


def _citation_labels(app) -> dict[str, tuple[str, str]]:
    """``key -> (authors, year)`` for every entry of the book's .bib files."""
    cached = getattr(app, "_convbook_citations", None)
    if cached is not None:
        return cached
    from pybtex.database import parse_file

    labels: dict[str, tuple[str, str]] = {}
    for bibfile in getattr(app.config, "bibtex_bibfiles", []) or []:
        data = parse_file(str(Path(app.srcdir) / bibfile))
        for key, entry in data.entries.items():
            people = entry.persons.get("author", [])
            names = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
            if not names:
                authors = entry.fields.get("author", key).strip("{}")
            elif len(names) == 1:
                authors = names[0]
            elif len(names) == 2:
                authors = f"{names[0]} and {names[1]}"
            else:
                authors = f"{names[0]} et al."
            if any(p.last_names == ["others"] for p in people) and len(names) == 2:
                authors = f"{names[0]} et al."
            labels[key] = (authors.replace("\\'e", "é").replace("{\\'e}", "é"), entry.fields.get("year", ""))
    app._convbook_citations = labels
    return labels


def convert_markdown(text: str, ctx: NotebookContext, counters: dict[str, int]) -> str:
    """MyST Markdown of one cell -> plain (Jupyter) Markdown."""
    lines = text.splitlines()
    out: list[str] = []
    plain: list[str] = []  # text between directives; a role may span lines

    def flush() -> None:
        if plain:
            out.extend(_ROLE.sub(lambda m: ctx.role(m["name"], m["content"]), "\n".join(plain)).splitlines())
            plain.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if _TARGET.match(line) or _COMMENT.match(line):
            i += 1
            continue
        fence = _FENCE.match(line)
        if not fence:
            plain.append(line)
            i += 1
            continue
        flush()
        indent, marker, name, arg = fence["indent"], fence["fence"], fence["name"], fence["arg"].strip()
        # The directive's options, then its body up to the closing fence.
        j = i + 1
        options: dict[str, str] = {}
        while j < len(lines) and re.match(r"^\s*:[\w-]+:", lines[j]):
            key, _, value = lines[j].strip()[1:].partition(":")
            options[key] = value.strip()
            j += 1
        body: list[str] = []
        while j < len(lines) and lines[j].strip() != marker:
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j])
            j += 1
        i = j + 1
        out.extend(_directive(name, arg, options, "\n".join(body).strip("\n"), ctx, counters).splitlines())
    flush()
    return "\n".join(out).strip("\n")


def _directive(name: str, arg: str, options: dict, body: str, ctx: NotebookContext, counters) -> str:
    inner = convert_markdown(body, ctx, counters) if body else ""
    if name == "exercise":
        label = options.get("label", "")
        number = ctx.number(label, "exercise") if label else None
        counters["exercise"] = counters.get("exercise", 0) + 1
        heading = number or f"Exercise {counters['exercise']}"
        title = f" ({convert_markdown(arg, ctx, counters)})" if arg else ""
        return f"**{heading}{title}.**\n\n{inner}"
    if name in ("solution-start", "solution"):
        number = ctx.number(arg, "exercise") if arg else None
        heading = f"Solution to {number}" if number else "Solution"
        return f"**{heading}.**\n\n{inner}" if inner else f"**{heading}.**"
    if name == "solution-end":
        return ""
    if name == "glue:math":
        return ctx.glued_math(arg)
    if name in ("glue", "glue:any", "glue:text"):
        return ctx.glued(arg, "")
    if name == "literalinclude":
        return _literal_include(arg, options, ctx)
    if name in ("math",):
        return f"$$\n{body}\n$$"
    if name in ("code-block", "code", "sourcecode"):
        return f"```{arg}\n{body}\n```"
    if name == "repository-clone":
        from convbook_repository import clone_commands

        return f"```bash\n{clone_commands(ctx.app.config, body)}\n```"
    if name in _ADMONITIONS:
        title = convert_markdown(arg, ctx, counters) if arg else name.capitalize()
        quoted = "\n".join(f"> {line}" if line else ">" for line in inner.splitlines())
        return f"> **{title}**\n>\n{quoted}"
    if name in ("figure", "image"):
        alt = options.get("alt", "")
        return f"*{inner or alt}*"
    return inner


def _literal_include(arg: str, options: dict, ctx: NotebookContext) -> str:
    source_dir = Path(ctx.env.doc2path(ctx.docname)).parent
    path = (source_dir / arg).resolve()
    text = path.read_text(encoding="utf-8")
    pyobject = options.get("pyobject")
    if pyobject:
        tree = ast.parse(text)
        node = _find_object(tree, pyobject.split("."))
        if node is None:
            logger.warning(f"[convbook] {ctx.docname}: {pyobject} not found in {arg}")
        else:
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            text = "\n".join(text.splitlines()[start - 1:node.end_lineno])
    language = options.get("language", "python")
    return f"```{language}\n{text.rstrip()}\n```"


def _find_object(tree, names: list[str]):
    scope = tree.body
    found = None
    for name in names:
        found = next(
            (n for n in scope if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and n.name == name),
            None,
        )
        if found is None:
            return None
        scope = found.body
    return found


def install_cell(app) -> nbformat.NotebookNode:
    from convbook_repository import repository_url

    requirement = f"convbook @ git+{repository_url(app.config)}.git"
    source = f'''# Run this cell first: it installs the book's package, convbook, where it is missing.
# (Colab and most Jupyter installs already have numpy, torch, OpenCV and matplotlib.)
import importlib, importlib.util, os, subprocess, sys

if importlib.util.find_spec("convbook") is None:
    source = os.environ.get("{INSTALL_OVERRIDE}", "{requirement}")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)
    importlib.invalidate_caches()
import convbook
print("convbook", convbook.__version__)'''
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["install"]})


def glued_values(notebook) -> dict[str, dict[str, str]]:
    """``key -> {mime type: data}`` of every value a notebook glued."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook")
            if scrap:
                prefix = scrap.get("mime_prefix", "application/papermill.record/")
                values[scrap["name"]] = {
                    mime[len(prefix):] if mime.startswith(prefix) else mime: data
                    for mime, data in output.get("data", {}).items()
                }
    return values


def _without_glue_outputs(outputs: list) -> list:
    return [o for o in outputs if not o.get("metadata", {}).get("scrapbook")]


def standalone_notebook(app, docname: str, executed) -> nbformat.NotebookNode:
    """The reader's notebook of one page, from its executed notebook."""
    ctx = NotebookContext(app, docname, glued_values(executed))
    counters: dict[str, int] = {}
    cells = []
    for cell in executed.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "code" and tags & HIDDEN_TAGS:
            continue
        if cell.cell_type == "markdown":
            text = convert_markdown(cell.source, ctx, counters)
            if text.strip():
                cells.append(nbformat.v4.new_markdown_cell(text))
            continue
        if cell.cell_type != "code":
            continue
        new = nbformat.v4.new_code_cell(cell.source)
        new.outputs = _without_glue_outputs(copy.deepcopy(cell.get("outputs", [])))
        new.execution_count = cell.get("execution_count")
        if tags:
            new.metadata["tags"] = sorted(tags)
        cells.append(new)
        figure = (cell.get("metadata", {}).get("mystnb") or {}).get("figure") or {}
        if figure.get("caption"):
            number = ctx.number(figure.get("name", ""), "figure") if figure.get("name") else None
            caption = convert_markdown(str(figure["caption"]), ctx, counters)
            cells.append(nbformat.v4.new_markdown_cell(f"*{number + ': ' if number else ''}{caption}*"))
    title = ctx.title(docname)
    intro = nbformat.v4.new_markdown_cell(
        f"*This notebook is the chapter [{title}]({ctx.page_url(docname)}) of the book "
        f"[{app.config.html_title or app.config.project}]({ctx.base}), generated with this build's outputs. "
        "Run the first code cell to install the book's package, `convbook`, then run the cells in order.*"
    )
    # Title first, then the note and the install cell.
    head = 1 if cells and cells[0].cell_type == "markdown" and cells[0].source.startswith("#") else 0
    cells[head:head] = [intro, install_cell(app)]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(notebook)
    return notebook


def write_notebooks(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from jupyter_cache import get_cache
    from myst_nb.core.read import is_myst_markdown_notebook, read_myst_markdown_notebook

    config = app.env.mystnb_config
    cache = get_cache(config.execution_cache_path)
    outdir = Path(app.outdir)
    written = 0
    for docname in sorted(app.env.found_docs):
        path = Path(app.env.doc2path(docname))
        text = path.read_text(encoding="utf-8")
        if path.suffix != ".md" or not is_myst_markdown_notebook(text):
            continue
        notebook = read_myst_markdown_notebook(text)
        if not any(cell.cell_type == "code" for cell in notebook.cells):
            continue
        try:
            _, executed = cache.merge_match_into_notebook(notebook)
        except KeyError:
            logger.warning(f"[convbook] {docname}: not in the execution cache, so its notebook has no outputs")
            executed = notebook
        standalone = standalone_notebook(app, docname, executed)
        content = json.dumps(standalone, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        for target in (outdir / "notebooks" / f"{Path(docname).name}.ipynb", outdir / "_sources" / f"{docname}.ipynb"):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        written += 1
    logger.info(f"[convbook] wrote {written} notebooks to {outdir / 'notebooks'}")


def setup(app):
    app.connect("build-finished", write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
