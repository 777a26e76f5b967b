"""convbook.images against OpenCV used the lesson's way."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

import convbook

PROVENANCE = Path(convbook.__file__).parent / "data" / "README.md"


def lesson_load(path) -> np.ndarray:
    """The lesson's own three lines, as the reference."""
    bgr_img = cv2.imread(str(path))
    gray_img = cv2.cvtColor(bgr_img, cv2.COLOR_BGR2GRAY)
    return gray_img.astype("float32") / 255


def test_sample_photo_is_the_documented_file():
    path = convbook.sample_image_path()
    assert path.is_file()
    documented = re.search(r"sha256: ([0-9a-f]{64})", PROVENANCE.read_text()).group(1)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == documented


def test_load_grayscale_matches_the_lesson(photo):
    expected = lesson_load(convbook.sample_image_path())
    assert photo.dtype == np.float32
    assert photo.shape == (427, 640)
    np.testing.assert_array_equal(photo, expected)
    assert 0.0 <= photo.min() and photo.max() <= 1.0


def test_png_with_alpha_channel(tmp_path):
    rng = np.random.default_rng(0)
    bgra = rng.integers(0, 256, size=(6, 7, 4), dtype=np.uint8)
    path = tmp_path / "with_alpha.png"
    cv2.imwrite(str(path), bgra)
    expected = cv2.cvtColor(bgra[:, :, :3], cv2.COLOR_BGR2GRAY).astype(np.float32) / 255
    np.testing.assert_array_equal(convbook.load_grayscale(path), expected)


def test_file_that_is_already_gray(tmp_path):
    gray = np.arange(0, 240, 8, dtype=np.uint8).reshape(5, 6)
    path = tmp_path / "gray.png"
    cv2.imwrite(str(path), gray)
    loaded = convbook.load_grayscale(path)
    assert loaded.shape == (5, 6)
    np.testing.assert_array_equal(loaded, gray.astype(np.float32) / 255)


def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "no_such_photo.jpg"
    with pytest.raises(FileNotFoundError, match="no_such_photo.jpg"):
        convbook.load_grayscale(missing)


@pytest.mark.parametrize("content", [b"", b"this is not an image at all"])
def test_undecodable_file_names_the_path(tmp_path, content):
    bad = tmp_path / "broken.png"
    bad.write_bytes(content)
    with pytest.raises(ValueError, match=r"could not decode .*broken\.png"):
        convbook.load_grayscale(bad)
