"""Sphinx extension: export the kernel playground's data from the package.

The playground chapter (``book/playground.md``) runs in the reader's
browser. Its photo, its preset kernels and its colour map must be the ones
the Python chapters use, never a copy typed by hand, so this extension
writes them into the built site at the end of every HTML build, as one
script, ``<outdir>/playground/data.js``, that sets
``window.convPlaygroundData`` to a JSON object with:

``photo``
    The sample photo exactly as :func:`convbook.load_grayscale` returns it,
    stored losslessly as an 8-bit grayscale PNG (base64): every value of
    ``load_grayscale`` is ``k / 255`` for an integer ``k``, so the browser
    gets back the same float32 numbers by dividing by 255. With its size and
    the sum of its levels, which the page checks after decoding, and its
    description, in English (``description``) and by language
    (``descriptions``, from :data:`PHOTO_DESCRIPTIONS`).
``presets``
    The kernels of :func:`convbook.presets.playground_presets`, with labels:
    ``label`` in English and ``labels`` in every language of
    :data:`convbook.presets.PRESET_LABELS_BY_LANGUAGE`. The page shows the
    labels of its own language (``<html lang>``), so the English and the
    Korean build write the same file.
``weight_limit``
    :data:`convbook.presets.WEIGHT_LIMIT`: the page accepts a weight ``w``
    only when it is a finite number with ``abs(w) <= weight_limit``.
``colormap``
    The ``RdBu_r`` colour map of the book's feature-map figures.
``gray``
    The weights with which the installed OpenCV turns colour into gray, so
    that a reader's own photo becomes what ``load_grayscale`` would give.

A script rather than a ``.json`` file that the page fetches: browsers refuse
``fetch`` on ``file://`` URLs, and a script also works when the built site is
opened straight from disk.

The playground's own code and style (``playground.js``, ``playground.css``)
live in ``book/_extra/playground/``; what it shares with the lab (the
browser core ``cnn-core.js``, ``page.js``, ``interactive.css``) in
``book/_extra/interactive/``. Both reach the site through
``html_extra_path``. Register the extension in ``_config.yml``::

    sphinx:
      extra_extensions:
        - convbook.sphinx_playground
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import cv2
import numpy as np

from .images import load_grayscale, sample_image_path
from .presets import PRESET_LABELS, PRESET_LABELS_BY_LANGUAGE, WEIGHT_LIMIT, playground_presets

__all__ = ["PHOTO_DESCRIPTIONS", "playground_data", "read_playground_data", "write_playground_data", "setup"]

#: The folder of the site that holds the playground's files.
SITE_FOLDER = "playground"
#: The global variable ``data.js`` sets.
DATA_GLOBAL = "convPlaygroundData"
#: The colour map of the book's pre-activation feature maps (conv-layer chapter).
DIVERGING_CMAP = "RdBu_r"
#: What the sample photo shows, by language; the page says "Showing <this>."
#: (in Korean, "지금 보이는 것은 <this>입니다.").
PHOTO_DESCRIPTIONS: dict[str, str] = {
    "en": "the book's sample photo: a Falcon 9 rocket on its launch pad between lightning towers",
    "ko": "이 책의 예제 사진(피뢰탑 사이의 발사대에 서 있는 Falcon 9 로켓)",
}


def photo_bytes() -> np.ndarray:
    """Return the sample photo as 8-bit gray levels, ``load_grayscale(...) * 255``.

    Raises
    ------
    RuntimeError
        If the levels do not give back ``load_grayscale``'s values exactly.
    """
    gray = load_grayscale(sample_image_path())
    levels = np.rint(gray * 255).astype(np.uint8)
    if not np.array_equal(levels.astype(np.float32) / 255, gray):
        raise RuntimeError("load_grayscale no longer returns k / 255 values; update the playground export")
    return levels


#: Fixed-point BGR-to-gray weights (red, green, blue, shift) that OpenCV
#: versions use: 15 bits in OpenCV 5, 14 bits in OpenCV 4.
_GRAY_CANDIDATES = ((9798, 19235, 3735, 15), (4899, 9617, 1868, 14))


def gray_weights() -> dict[str, int]:
    """Return the integer weights with which this OpenCV turns colour into gray.

    ``load_grayscale`` uses ``cv2.cvtColor(..., COLOR_BGR2GRAY)``, which on
    8-bit images computes ``(r * R + g * G + b * B + 2**(shift - 1)) >> shift``.
    The playground applies the same formula to a reader's own photo; this
    finds the weights of the installed OpenCV by checking them against it.

    Raises
    ------
    RuntimeError
        If no known set of weights reproduces ``cv2.cvtColor`` exactly.
    """
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(1, 65536, 3), dtype=np.uint8)
    pixels[0, :256] = np.arange(256, dtype=np.uint8)[:, None]  # every gray level
    expected = cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)[0].astype(np.int64)
    blue, green, red = (pixels[0, :, i].astype(np.int64) for i in range(3))
    for r, g, b, shift in _GRAY_CANDIDATES:
        if np.array_equal((red * r + green * g + blue * b + (1 << (shift - 1))) >> shift, expected):
            return {"r": r, "g": g, "b": b, "shift": shift}
    raise RuntimeError("cannot reproduce cv2.COLOR_BGR2GRAY with known weights; update the playground export")


def colormap_lut(name: str = DIVERGING_CMAP, n: int = 256) -> list[list[int]]:
    """Return ``n`` RGB colours (0-255) sampled evenly from a matplotlib colour map."""
    import matplotlib

    rgba = matplotlib.colormaps[name](np.linspace(0.0, 1.0, n))
    return np.rint(rgba[:, :3] * 255).astype(int).tolist()


def playground_data(levels: np.ndarray) -> dict:
    """Return the JSON-ready data of the playground (see the module's docstring)."""
    presets = []
    for key, kernel in playground_presets().items():
        presets.append(
            {
                "id": key,
                "label": PRESET_LABELS.get(key, key),
                "labels": {language: labels.get(key, key) for language, labels in PRESET_LABELS_BY_LANGUAGE.items()},
                # float() of a float32 is exact, so JSON carries the package's numbers.
                "weights": [[float(w) for w in row] for row in np.asarray(kernel, dtype=np.float32)],
            }
        )
    height, width = levels.shape
    return {
        "photo": {
            "png": base64.b64encode(encode_png(levels)).decode("ascii"),
            "width": int(width),
            "height": int(height),
            "checksum": int(levels.sum(dtype=np.int64)),
            "description": PHOTO_DESCRIPTIONS["en"],
            "descriptions": dict(PHOTO_DESCRIPTIONS),
        },
        "presets": presets,
        "default": presets[0]["id"],
        "weight_limit": WEIGHT_LIMIT,
        "colormap": {"name": DIVERGING_CMAP, "lut": colormap_lut()},
        "gray": gray_weights(),
    }


def encode_png(levels: np.ndarray) -> bytes:
    """Return 8-bit gray levels as a (lossless) PNG file's bytes."""
    ok, png = cv2.imencode(".png", levels, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise RuntimeError("OpenCV could not encode the playground photo as PNG")
    return png.tobytes()


def write_playground_data(outdir: str | Path) -> Path:
    """Write ``data.js`` into ``<outdir>/playground/``; return its path."""
    folder = Path(outdir) / SITE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(playground_data(photo_bytes()), separators=(",", ":"))
    text = (
        "/* The kernel playground's data, written by convbook.sphinx_playground"
        " at build time from the convbook package. Do not edit. */\n"
        f"window.{DATA_GLOBAL} = {payload};\n"
    )
    path = folder / "data.js"
    _write_if_changed(path, text.encode("utf-8"))
    return path


def read_playground_data(path: str | Path) -> dict:
    """Return the object a ``data.js`` written by :func:`write_playground_data` sets."""
    text = Path(path).read_text(encoding="utf-8")
    start = text.index(f"window.{DATA_GLOBAL} = ") + len(f"window.{DATA_GLOBAL} = ")
    return json.loads(text[start:].strip().rstrip(";"))


def _write_if_changed(path: Path, content: bytes) -> None:
    if not path.is_file() or path.read_bytes() != content:
        path.write_bytes(content)


def _on_build_finished(app, exception) -> None:
    # The single page (singlehtml) is only printed, without the playground.
    if exception is None and app.builder.format == "html" and app.builder.name != "singlehtml":
        write_playground_data(app.outdir)


def setup(app):
    app.connect("build-finished", _on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
