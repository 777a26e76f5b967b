"""The GitHub Pages workflow and the repository settings in _config.yml."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = Path(sys.executable).with_name("actionlint")


def test_workflows_pass_actionlint():
    assert WORKFLOWS, "no workflow in .github/workflows"
    result = subprocess.run(
        [str(ACTIONLINT), "-no-color", *map(str, WORKFLOWS)],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_workflow_builds_strictly_and_deploys():
    workflow = yaml.safe_load((ROOT / ".github/workflows/pages.yml").read_text())
    assert workflow["permissions"]["pages"] == "write"
    assert workflow["permissions"]["id-token"] == "write"
    assert workflow["concurrency"]["group"]
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    uses = [step.get("uses", "") for step in steps]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    runs = " ".join(step.get("run", "") for step in steps)
    assert "make book" in runs
    # `make book` is the strict build of every language (scripts/build_book.py).
    makefile = (ROOT / "Makefile").read_text()
    book_recipe = re.search(r"^book:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
    assert book_recipe and "scripts/build_book.py" in book_recipe[1]
    sys.path.insert(0, str(ROOT / "scripts"))
    from build_book import STRICT

    assert STRICT == ["-n", "-W", "--keep-going"]


def test_config_names_the_repository_and_turns_on_buttons():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]
    assert repo["url"].startswith("https://github.com/") and repo["branch"] == "main"
    assert "path_to_book" in repo
    assert config["launch_buttons"]["binderhub_url"]
    assert config["launch_buttons"]["colab_url"]
    assert config["sphinx"]["config"]["html_theme_options"]["use_download_button"] is True
    assert config["execute"]["raise_on_error"] is True
    assert config["only_build_toc_files"] is True


def test_site_is_ready_for_github_pages(site):
    assert (site / ".nojekyll").is_file(), "GitHub Pages needs .nojekyll (files starting with _)"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make book" in readme
    assert re.search(r"^make test$", (ROOT / ".ci/run").read_text(), flags=re.M)


def test_tests_workflow_runs_make_test_on_pull_requests_and_pushes():
    """.github/workflows/tests.yml: the README's two commands on a Linux runner, for every pull request and push."""
    workflow = yaml.safe_load((ROOT / ".github/workflows/tests.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "pull_request" in triggers and "push" in triggers
    assert (triggers["push"] or {}).get("branches") in (None, ["**"]), "pushes to every branch"
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    assert job["runs-on"].startswith("ubuntu-")
    assert job["timeout-minutes"] <= 90  # CI: a clean clone, 90 minutes
    runs = [step.get("run", "") for step in job["steps"]]
    book = next(i for i, run in enumerate(runs) if re.search(r"^make book$", run, re.M))
    test = next(i for i, run in enumerate(runs) if re.search(r"^make test$", run, re.M))
    assert book < test
    assert any(step.get("uses", "").startswith("actions/checkout@") for step in job["steps"])


def test_contributing_guide_is_linked_and_its_commands_exist():
    """CONTRIBUTING.md (issue 25): linked from the README; the quick checks and files it names exist."""
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "](CONTRIBUTING.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("scripts/run_chapter.py book/<name>.md --visible", "CONVBOOK_SITE=_build/html",
                    "make translations", "scripts/translations.py check", "languages: [en]"):
        assert command in guide, command
    for path in set(re.findall(r"`((?:book|scripts|tests|locale|code|\.github)/[\w./-]+\.\w+)`", guide)):
        assert (ROOT / path).exists(), f"CONTRIBUTING.md names {path}, which does not exist"
    # The template's front matter and figure cell carry what the tests require.
    template = guide.split("````markdown\n", 1)[1].split("\n````", 1)[0]
    front = yaml.safe_load(template.split("---\n")[1])
    assert {"jupytext", "kernelspec", "myst"} <= set(front)
    figure = yaml.safe_load(template.split("```{code-cell} ipython3\n---\n", 1)[1].split("\n---\n", 1)[0])
    assert {"caption", "name"} <= set(figure["mystnb"]["figure"]) and figure["mystnb"]["image"]["alt"]
    assert "glue_checked(" in template and ":tags: [remove-cell]" in template
    assert "{term}`" in template and ":class: dropdown" in template
