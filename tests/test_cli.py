"""The command line: its files, their content, and each error exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from convbook import correlate2d_fast, feature_maps, filter_set, load_grayscale, sample_image_path
from convbook.cli import display_size, main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "convbook", *map(str, args)],
        capture_output=True, text=True, cwd=cwd or ROOT,
    )


def test_writes_three_pngs_and_prints_their_paths(tmp_path):
    out = tmp_path / "maps"
    result = run_cli(sample_image_path(), "--out", out)
    assert result.returncode == 0, result.stderr
    names = ["filters.png", "feature_maps.png", "activated_maps.png"]
    for name in names:
        path = out / name
        assert str(path) in result.stdout
        image = cv2.imread(str(path))
        assert image is not None and image.shape[0] > 100 and image.shape[1] > 100
    assert result.stderr == ""


@pytest.mark.parametrize("name", ["sobel", "blur", "laplacian"])
def test_each_filter_set_runs(tmp_path, name):
    assert main([str(sample_image_path()), "--filters", name, "--out", str(tmp_path)]) == 0
    assert (tmp_path / "feature_maps.png").is_file()


def test_the_fast_maps_the_cli_uses_equal_feature_maps(photo):
    for name in ["lesson", "sobel", "laplacian"]:
        filters, _ = filter_set(name)
        np.testing.assert_allclose(correlate2d_fast(photo, filters), feature_maps(photo, filters)[0], atol=1e-5)


def test_display_size_only_shrinks_large_maps():
    assert display_size(283, 397) == (283, 397)
    assert display_size(300, 400) == (300, 400)
    assert display_size(2997, 3997) == (300, 400)


def test_maps_of_a_large_photo_are_computed_at_full_size(tmp_path, monkeypatch):
    # A 1000 x 1500 photo: the titles carry the full-size map shape.
    big = cv2.resize(cv2.imread(str(sample_image_path())), (1500, 1000))
    photo = tmp_path / "big.png"
    cv2.imwrite(str(photo), big)
    import convbook.correlation as correlation

    seen = []
    original = correlation.correlate2d_fast

    def spy(image, filters):
        maps = original(image, filters)
        seen.append(maps.shape)
        return maps

    monkeypatch.setattr(correlation, "correlate2d_fast", spy)
    assert main([str(photo), "--out", str(tmp_path / "out")]) == 0
    assert seen == [(1, 997, 1497)] * 4  # one full-size map per lesson filter


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_missing_photo_exits_2(tmp_path):
    result = run_cli(tmp_path / "nope.jpg", "--out", tmp_path)
    assert_one_line_error(result, "no photo at", "nope.jpg", "existing image file")


def test_undecodable_photo_exits_2(tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("this is not a JPEG")
    result = run_cli(bad, "--out", tmp_path / "out")
    assert_one_line_error(result, "cannot read", "notes.jpg", "OpenCV can decode")


def test_unknown_filter_set_exits_2(tmp_path):
    result = run_cli(sample_image_path(), "--filters", "emboss", "--out", tmp_path)
    assert_one_line_error(result, "--filters", "'emboss'", "'lesson', 'sobel', 'blur', 'laplacian'")


def test_unwritable_output_folder_exits_2(tmp_path):
    # A path below a regular file cannot be created, even by root.
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    result = run_cli(sample_image_path(), "--out", blocker / "maps")
    assert_one_line_error(result, "cannot create the output folder", "choose another --out DIR")
    result = run_cli(sample_image_path(), "--out", blocker)
    assert_one_line_error(result, "output folder", "choose another --out DIR")


def test_read_only_output_folder_exits_2(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == folder else real_access(p, mode))
    assert main([str(sample_image_path()), "--out", str(folder)]) == 2


def test_help_explains_everything():
    result = run_cli("--help")
    assert result.returncode == 0
    for fragment in ["PHOTO", "--filters", "--out", "lesson", "sobel", "blur", "laplacian",
                     "filters.png", "feature_maps.png", "activated_maps.png", "exit status", "full size"]:
        assert fragment in result.stdout


def test_the_cli_path_does_not_import_torch(tmp_path):
    # The 3 s budget for a 12-megapixel photo relies on never importing
    # PyTorch (about a second); Net and feature_maps load it lazily.
    code = (
        "import sys, convbook\n"
        "from convbook.cli import main\n"
        f"assert main([{str(sample_image_path())!r}, '--out', {str(tmp_path)!r}]) == 0\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
