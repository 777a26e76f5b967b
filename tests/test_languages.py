"""One ``languages:`` setting in ``_config.yml`` (issue 25).

Every tool reads the book's languages from ``languages:``: the build
(``scripts/build_book.py``), the translation tools
(``scripts/translations.py``), the switcher (``book/_ext/convbook_translation.py``),
the PDF (``scripts/build_pdf.py``, ``make pdf``), the Pages workflow and the
tests (``tests/conftest.py``). The English-only build from the execution
cache, with no Korean anywhere, is ``test_an_english_only_fork_has_no_korean``
in ``tests/test_notebooks.py`` (the fork's build).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import LANGUAGES, TRANSLATIONS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import build_book  # noqa: E402
import translations  # noqa: E402
from convbook_translation import LANGUAGE_NAMES, book_languages  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def test_every_tool_reads_the_one_setting():
    configured = tuple(CONFIG["languages"])
    assert configured[0] == "en"
    assert LANGUAGES == build_book.LANGUAGES == configured
    assert TRANSLATIONS == translations.TRANSLATED == configured[1:]
    listed = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_book.py"), "--list-languages"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert tuple(listed) == configured
    # make reads it with sed, before the virtual environment exists.
    make = subprocess.run(["make", "-n", "-p", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    assert re.search(r"^LANGUAGES := (.*)$", make, re.M)[1].split() == list(configured)


def test_another_configuration_gives_its_languages(tmp_path):
    fork = tmp_path / "fork.yml"
    text = re.sub(r"(?m)^languages:.*$", "languages: [en]", (ROOT / "_config.yml").read_text(encoding="utf-8"))
    fork.write_text(text, encoding="utf-8")
    listed = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_book.py"), "--config", str(fork),
                             "--list-languages"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert listed.split() == ["en"]
    # Asking an English-only book for Korean says which languages it has.
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_book.py"), "--config", str(fork),
                             "--language", "ko"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and "languages:" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("setting, problem", [
    (["ko", "en"], "must start with 'en'"),
    (["en", "xx"], "LANGUAGE_NAMES"),
    (["en", "ko", "ko"], "each code once"),
])
def test_a_wrong_setting_is_named(setting, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        book_languages({"languages": setting})
    assert book_languages({}) == ("en",)
    assert set(LANGUAGE_NAMES) >= set(LANGUAGES)


def test_no_workflow_or_make_target_names_a_language():
    """The Pages workflow and the Makefile loop over the setting instead of naming Korean."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    runs = "\n".join(step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"])
    assert not re.search(r"\bko\b", runs), "pages.yml names the Korean edition: read `languages:` instead"
    assert "--list-languages" in runs and "PDF_LANGUAGE=all" in runs
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    # Korean appears only where its font is installed, when it is one of the languages.
    for line in makefile.splitlines():
        if re.search(r"\bko\b", line) and not line.lstrip().startswith(("#", "@echo")):
            assert "$(filter ko," in line, line
