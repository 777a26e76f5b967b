"""Sphinx extension: the CNN lab's network and test digits, exported from the package (issue 23).

The lab page (``book/lab.md``) runs the deeper chapter's network in the
reader's browser. At the end of every HTML build this writes
``<outdir>/lab/data.js``, a script that sets ``window.convLabData`` to
:func:`convbook.lab_export` of ``train_deeper_cnn(load_digit_split(),
seed=0)``: the very training ``book/deeper-cnn.md`` runs, seeded and
deterministic, so the page's weights are the chapter's bit for bit
(``tests/test_lab.py`` checks it). A script and not a ``.json`` that the
page fetches: browsers refuse ``fetch`` on ``file://``, and the offline zip
is opened from disk.

Training takes about two and a half seconds, so its export is kept on disk
beside the execution cache (``.convbook-lab/``), under the fingerprint of
the ``convbook`` package and the PyTorch version: the Korean build, and
every build until the package changes, reads it instead of training again.
When there is none, the training runs in a process of its own from the
start of the build, while the chapters execute, and the end of the build
waits for it. Why not take the weights from the chapter's own execution: a
chapter whose output is cached does not execute, so it could not hand them
over.

The page's own code and style (``lab.js``, ``lab.css``) live in
``book/_extra/lab/``; what it shares with the playground (the browser core
``cnn-core.js``, ``page.js``, ``interactive.css``) in
``book/_extra/interactive/``. Both reach the site through
``html_extra_path``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: The folder of the site that holds the lab's files.
SITE_FOLDER = "lab"
#: The global variable ``data.js`` sets.
DATA_GLOBAL = "convLabData"
#: The training the page's network comes from: the deeper chapter's.
SEED = 0


def lab_data() -> dict:
    """Train the deeper chapter's network (seed 0) and return its export."""
    from convbook import lab_export, load_digit_split, train_deeper_cnn

    split = load_digit_split()
    result = train_deeper_cnn(split, seed=SEED)
    data = lab_export(result.model, split)
    data["seed"] = SEED
    data["test_accuracy"] = result.test_accuracy
    return data


def _cache_folder(app) -> Path:
    from convbook_freshness import beside_the_execution_cache

    return beside_the_execution_cache(app, ".convbook-lab")


def _cache_path(app) -> Path:
    """The cached export's file: named by the package's fingerprint, PyTorch's version and the seed."""
    import hashlib
    from importlib.metadata import version

    package = getattr(app.config, "convbook_package_fingerprint", "") or "unknown"
    key = hashlib.sha256(f"{package}\0{version('torch')}\0{SEED}".encode()).hexdigest()[:32]
    return _cache_folder(app) / f"{key}.json"


def write_cache(path: Path) -> None:
    """Train, export and write the export to ``path`` (the only ``.json`` left in its folder)."""
    data = lab_data()
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob("*.json"):
        stale.unlink()
    temporary = path.with_suffix(".part")
    temporary.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    temporary.replace(path)


def _wanted(app) -> bool:
    # The single page (singlehtml) is only printed, without the lab.
    return app.builder.format == "html" and app.builder.name != "singlehtml"


def _start_training(app) -> None:
    """With no cached export, train in another process while the chapters execute and are read.

    A process of its own, not a thread: the training would otherwise
    compete with Sphinx for Python's global lock. It adds about a second
    and a half of work (Python and PyTorch starting), but little time.
    """
    app.convbook_lab_training = None
    if not _wanted(app):
        return
    path = _cache_path(app)
    if path.is_file():
        return
    logger.info("[convbook] training the lab's network (deeper-cnn, seed 0) for lab/data.js, in the background")
    app.convbook_lab_training = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), str(path)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_package_root(),
                                                                         os.environ.get("PYTHONPATH")]))},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _package_root() -> str:
    """The folder this process imports ``convbook`` from, for the training process to do the same."""
    import importlib.util

    spec = importlib.util.find_spec("convbook")
    return str(Path(spec.origin).resolve().parent.parent) if spec and spec.origin else ""


def cached_lab_data(app) -> dict:
    """:func:`lab_data`, from the disk cache when the package has not changed since."""
    path = _cache_path(app)
    training = getattr(app, "convbook_lab_training", None)
    if training is not None:
        output, _ = training.communicate()
        app.convbook_lab_training = None
        if training.returncode != 0:
            raise RuntimeError(f"training the lab's network failed:\n{output}")
    if not path.is_file():
        write_cache(path)
    return json.loads(path.read_text(encoding="utf-8"))


def write_lab_data(outdir: str | Path, data: dict) -> Path:
    """Write ``data.js`` into ``<outdir>/lab/``; return its path."""
    folder = Path(outdir) / SITE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    text = (
        "/* The CNN lab's network and test digits, written by book/_ext/convbook_lab.py"
        " at build time from the convbook package. Do not edit. */\n"
        f"window.{DATA_GLOBAL} = {json.dumps(data, separators=(',', ':'))};\n"
    )
    path = folder / "data.js"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def read_lab_data(path: str | Path) -> dict:
    """Return the object a ``data.js`` written by :func:`write_lab_data` sets."""
    text = Path(path).read_text(encoding="utf-8")
    start = text.index(f"window.{DATA_GLOBAL} = ") + len(f"window.{DATA_GLOBAL} = ")
    return json.loads(text[start:].strip().rstrip(";"))


def _on_build_finished(app, exception) -> None:
    if exception is None and _wanted(app):
        write_lab_data(app.outdir, cached_lab_data(app))
    elif getattr(app, "convbook_lab_training", None) is not None:
        app.convbook_lab_training.kill()
        app.convbook_lab_training.communicate()


def setup(app):
    # After MyST-NB's builder-inited (priority 500), which sets the execution cache's path.
    app.connect("builder-inited", _start_training, priority=600)
    app.connect("build-finished", _on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":  # the training process _start_training starts
    write_cache(Path(sys.argv[1]))
