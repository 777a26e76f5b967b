"""Sphinx extension: every URL of the book derives from ``repository.url``.

A teacher who forks the book edits one line of ``_config.yml``
(``repository.url``) and the published site points at the fork:

* **The site's address.** ``html.baseurl`` may stay empty; it is then
  derived as ``https://OWNER.github.io/REPO/``, GitHub Pages' address of a
  project site.
* **Launch buttons that work.** The theme builds its Colab and Binder links
  from ``repository.branch`` and the page's ``.md`` source, which neither can
  run. They are rewritten to open the generated notebook
  (``book/_ext/convbook_notebooks.py``) on the repository's ``notebooks``
  branch, which the Pages workflow publishes: ``<chapter>.ipynb`` for
  English, ``<language>/<chapter>.ipynb`` for a translation's pages (the
  Korean notebooks, ``ko/<chapter>.ipynb``). The edit and source buttons
  keep pointing at the main branch.
* **The clone command.** ``{repository-clone}`` in a chapter prints the
  commands that clone this repository and enter it, followed by the
  directive's content (default: ``make book``).
* **Substitutions.** ``{{ repository_url }}``, ``{{ site_url }}`` and
  ``{{ repository_name }}`` work in any chapter's text (MyST substitutions).
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

#: The branch the Pages workflow publishes the generated notebooks to.
NOTEBOOKS_BRANCH = "notebooks"
_GITHUB = re.compile(r"^https://github\.com/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?$")


def repository_parts(url: str) -> tuple[str, str]:
    """``(owner, repo)`` of a GitHub repository URL.

    Raises
    ------
    ValueError
        When ``url`` is not ``https://github.com/OWNER/REPO``.
    """
    match = _GITHUB.match(url or "")
    if not match:
        raise ValueError(f"repository.url must be https://github.com/OWNER/REPO, got {url!r}")
    return match["owner"], match["repo"]


def site_url_for(repository_url: str) -> str:
    """GitHub Pages' address of a project site: ``https://OWNER.github.io/REPO/``."""
    owner, repo = repository_parts(repository_url)
    return f"https://{owner.lower()}.github.io/{repo}/"


def repository_url(config) -> str:
    return ((config.html_theme_options or {}).get("repository_url") or "").rstrip("/")


def notebook_name(docname: str, language: str | None = None) -> str:
    """The generated notebook's path on the notebooks branch.

    ``book/filters`` -> ``filters.ipynb`` in the source language (English),
    ``ko/filters.ipynb`` in Korean: each translation's notebooks are in a
    folder named by its language (``scripts/assemble_notebooks_branch.py``).
    """
    from convbook_translation import SOURCE_LANGUAGE

    name = docname.rsplit("/", 1)[-1] + ".ipynb"
    return name if not language or language == SOURCE_LANGUAGE else f"{language}/{name}"


def launch_urls(config, docname: str) -> dict[str, str]:
    """Colab and Binder URLs that open ``docname``'s notebook, in the build's language, on the notebooks branch."""
    owner, repo = repository_parts(repository_url(config))
    name = notebook_name(docname, getattr(config, "language", None))
    launch = (config.html_theme_options or {}).get("launch_buttons") or {}
    colab = (launch.get("colab_url") or "https://colab.research.google.com").rstrip("/")
    binder = (launch.get("binderhub_url") or "https://mybinder.org").rstrip("/")
    interface = "lab/tree" if launch.get("notebook_interface", "jupyterlab") == "jupyterlab" else "tree"
    return {
        "Colab": f"{colab}/github/{owner}/{repo}/blob/{NOTEBOOKS_BRANCH}/{name}",
        "Binder": f"{binder}/v2/gh/{owner}/{repo}/{NOTEBOOKS_BRANCH}?urlpath={interface}/{name}",
    }


def derive_urls(app, config) -> None:
    url = repository_url(config)
    try:
        site = site_url_for(url)
    except ValueError as error:
        logger.warning(f"[convbook] {error}")
        return
    if not config.html_baseurl:
        config.html_baseurl = site
    owner, repo = repository_parts(url)
    substitutions = dict(config.myst_substitutions or {})
    substitutions.setdefault("repository_url", url)
    substitutions.setdefault("repository_name", repo)
    substitutions.setdefault("site_url", config.html_baseurl)
    config.myst_substitutions = substitutions


def rewrite_launch_buttons(app, pagename, templatename, context, doctree) -> None:
    """Point the theme's Colab and Binder buttons at the generated notebook."""
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        urls = launch_urls(app.config, pagename)
        for button in group.get("buttons", []):
            if button.get("text") in urls:
                button["url"] = urls[button["text"]]


def clone_commands(config, then: str = "") -> str:
    """``git clone URL`` and ``cd REPO`` for this book, then ``then`` (default ``make book``)."""
    url = repository_url(config)
    _, repo = repository_parts(url)
    return f"git clone {url}.git\ncd {repo}\n{then.strip() or 'make book'}"


class RepositoryClone(SphinxDirective):
    """The shell commands that clone this book's repository and build it."""

    has_content = True

    def run(self):
        code = clone_commands(self.config, "\n".join(self.content))
        block = nodes.literal_block(code, code, language="bash")
        return [block]


def setup(app):
    app.connect("config-inited", derive_urls, priority=400)
    # After sphinx-book-theme adds its launch buttons (priority 501).
    app.connect("html-page-context", rewrite_launch_buttons, priority=600)
    app.add_directive("repository-clone", RepositoryClone)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
