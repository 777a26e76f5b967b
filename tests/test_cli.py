"""The command line: its files, their content, and each error exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from matplotlib.figure import Figure

from convbook import feature_maps, filter_set, sample_image_path
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
    assert result.stdout.startswith("Wrote 3 files for ")
    for name in names:
        path = out / name
        assert str(path) in result.stdout
        image = cv2.imread(str(path))
        assert image is not None and image.shape[0] > 100 and image.shape[1] > 100
    assert sorted(p.name for p in out.iterdir()) == sorted(names)  # no maps.npz unasked
    assert result.stderr == ""


@pytest.mark.parametrize("name", ["sobel", "blur", "laplacian"])
def test_each_filter_set_runs(tmp_path, name):
    assert main([str(sample_image_path()), "--filters", name, "--out", str(tmp_path)]) == 0
    assert (tmp_path / "feature_maps.png").is_file()


def test_the_fast_maps_the_cli_uses_equal_feature_maps(photo, tmp_path):
    # A crop narrower than DISPLAY_WIDTH, so that maps.npz holds the maps
    # unshrunk; PNG is lossless, so the CLI reads exactly these gray values.
    crop = photo[100:300, 150:450]
    path = tmp_path / "crop.png"
    cv2.imwrite(str(path), np.round(crop * 255).astype(np.uint8))
    for name in ["lesson", "sobel", "blur", "laplacian"]:
        out = tmp_path / name
        assert main([str(path), "--filters", name, "--out", str(out), "--save-arrays"]) == 0
        saved = np.load(out / "maps.npz")
        filters, _ = filter_set(name)
        conv, activated = feature_maps(crop, filters)  # the lesson's nn.Conv2d
        np.testing.assert_array_equal(saved["filters"], filters)
        np.testing.assert_allclose(saved["feature_maps"], conv, atol=1e-5)
        np.testing.assert_allclose(saved["activated_maps"], activated, atol=1e-5)
        assert list(saved["full_size"]) == [200 - filters.shape[1] + 1, 300 - filters.shape[2] + 1]


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
    assert main([str(photo), "--out", str(tmp_path / "out"), "--save-arrays"]) == 0
    assert seen == [(1, 997, 1497)] * 4  # one full-size map per lesson filter
    saved = np.load(tmp_path / "out" / "maps.npz")
    assert list(saved["full_size"]) == [997, 1497]
    # Drawn (and saved) shrunk to 400 pixels wide, the aspect kept.
    assert saved["feature_maps"].shape == saved["activated_maps"].shape == (4, 266, 400)
    np.testing.assert_array_equal(saved["activated_maps"] >= 0, True)


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
                     "filters.png", "feature_maps.png", "activated_maps.png", "exit status", "full size",
                     "--save-arrays", "maps.npz", "activated_maps  (n, h, w)", "full_size"]:
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


# --- What the maps say about a step edge -----------------------------------

#: The lesson's filters, written out here as the lesson builds them.
FILTER_1 = np.array([[-1, -1, 1, 1]] * 4)
LESSON_FILTERS = np.array([FILTER_1, -FILTER_1, FILTER_1.T, -FILTER_1.T])

#: A 12 x 14 photo, black (0) and white (255), for each direction of a step
#: edge, and the sign each lesson filter's map must have along the edge.
EDGES = {
    "dark left, bright right": ((slice(None), slice(7, None)), [+1, -1, 0, 0]),
    "bright left, dark right": ((slice(None), slice(None, 7)), [-1, +1, 0, 0]),
    "dark top, bright bottom": ((slice(6, None), slice(None)), [0, 0, +1, -1]),
    "bright top, dark bottom": ((slice(None, 6), slice(None)), [0, 0, -1, +1]),
}


def step_edge_photo(folder: Path, edge: str) -> tuple[Path, np.ndarray]:
    """Write a step-edge PNG with cv2.imwrite; return its path and gray values."""
    bright, _ = EDGES[edge]
    pixels = np.zeros((12, 14), dtype=np.uint8)
    pixels[bright] = 255
    path = folder / "edge.png"
    assert cv2.imwrite(str(path), pixels)
    return path, pixels / 255.0


def correlate_by_loop(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = sum(image[r + i, c + j] * kernel[i, j] for i in range(kh) for j in range(kw))
    return out


def run_main(capsys, *args) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("edge", list(EDGES))
def test_the_saved_maps_of_a_step_edge(tmp_path, capsys, edge):
    photo, gray = step_edge_photo(tmp_path, edge)
    status, out, err = run_main(capsys, photo, "--out", tmp_path / "out", "--save-arrays")
    assert (status, err) == (0, "")
    assert out.startswith("Wrote 4 files")
    saved = np.load(tmp_path / "out" / "maps.npz")
    assert sorted(saved.files) == ["activated_maps", "feature_maps", "filters", "full_size"]
    np.testing.assert_array_equal(saved["filters"], LESSON_FILTERS)
    maps, activated = saved["feature_maps"], saved["activated_maps"]
    assert maps.shape == activated.shape == (4, 9, 11)
    _, signs = EDGES[edge]
    for k in range(4):
        expected = correlate_by_loop(gray, LESSON_FILTERS[k])
        np.testing.assert_allclose(maps[k], expected, atol=1e-5)
        # The activated map is the ReLU of the map, element by element.
        np.testing.assert_array_equal(activated[k], np.where(maps[k] > 0, maps[k], 0))
        # Where the window covers the edge, the map has the filter's sign;
        # elsewhere (a flat region) it is zero.
        at_edge = expected != 0
        if signs[k] == 0:
            assert not at_edge.any(), f"filter {k + 1} should not see a {edge} edge"
        else:
            assert at_edge.any()
            assert np.all(np.sign(maps[k][at_edge]) == signs[k]), f"filter {k + 1}, {edge}"
            assert np.all(maps[k][~at_edge] == 0)
            assert activated[k].max() == (maps[k].max() if signs[k] > 0 else 0)


def test_the_pictures_draw_the_saved_maps(tmp_path, monkeypatch):
    # Catch the figures as the CLI builds them: each panel must show the
    # saved array, the feature maps before and the activated maps after ReLU.
    import convbook.plotting as plotting

    built = []
    original = plotting.plot_feature_maps

    def spy(maps, titles=None, **options):
        fig = original(maps, titles, **options)
        built.append(fig)
        return fig

    monkeypatch.setattr(plotting, "plot_feature_maps", spy)
    photo, _ = step_edge_photo(tmp_path, "dark left, bright right")
    assert main([str(photo), "--out", str(tmp_path / "out"), "--save-arrays"]) == 0
    saved = np.load(tmp_path / "out" / "maps.npz")
    assert len(built) == 2
    for fig, key, title in [(built[0], "feature_maps", "Filter {} (9 x 11)"),
                            (built[1], "activated_maps", "ReLU(Filter {})")]:
        panels = [ax for ax in fig.axes if ax.images and ax.get_title()]
        assert [ax.get_title() for ax in panels] == [title.format(k) for k in range(1, 5)]
        for k, ax in enumerate(panels):
            np.testing.assert_array_equal(ax.images[0].get_array(), saved[key][k])
    # Filter 2 is negative on this edge: before ReLU, after ReLU all zero.
    assert built[0].axes[1].images[0].get_array().min() < 0
    assert built[1].axes[1].images[0].get_array().max() == 0


def test_the_feature_maps_png_shows_both_signs(tmp_path):
    # The real entry point, and the PNG itself: on a dark-to-bright vertical
    # edge, filter 1's panel is red (positive) and filter 2's blue (negative).
    photo, _ = step_edge_photo(tmp_path, "dark left, bright right")
    result = run_cli(photo, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    blue, green, red = cv2.imread(str(tmp_path / "out" / "feature_maps.png")).astype(int).transpose(2, 0, 1)
    # RdBu_r: from dark blue (5, 48, 97) through white to dark red (103, 0, 31).
    strongly_red = red - blue > 50
    strongly_blue = blue - red > 50
    width = red.shape[1]
    half, colour_bar = width // 2, width - 90  # the colour bar: the last 90 columns
    assert strongly_red[:, :half].sum() > 1000  # filter 1, the left panel
    assert strongly_blue[:, half:colour_bar].sum() > 1000  # filter 2, the right panel
    assert not strongly_blue[:, :half].any() and not strongly_red[:, half:colour_bar].any()


# --- Every failure gets one line and exit status 2 ---------------------------


def assert_one_line(status, out, err, *fragments):
    assert status == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("python -m convbook: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_an_empty_photo_exits_2(tmp_path, capsys):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert_one_line(*run_main(capsys, empty, "--out", tmp_path / "out"), "empty.jpg", "is empty")


def test_a_folder_as_photo_exits_2(tmp_path, capsys):
    folder = tmp_path / "holiday.jpg"
    folder.mkdir()
    assert_one_line(*run_main(capsys, folder, "--out", tmp_path / "out"), "holiday.jpg", "is a folder")


@pytest.mark.parametrize("size", [(3, 20), (20, 2), (1, 1)])
def test_a_photo_smaller_than_the_filters_exits_2(tmp_path, capsys, size):
    photo = tmp_path / "tiny.png"
    cv2.imwrite(str(photo), np.full(size, 128, dtype=np.uint8))
    status, out, err = run_main(capsys, photo, "--out", tmp_path / "out")
    assert_one_line(status, out, err, "tiny.png", f"is {size[0]}x{size[1]} pixels",
                    "smaller than the 4x4 filters", "'lesson'")
    assert not (tmp_path / "out").exists(), "nothing is created for a photo that cannot be used"


def test_a_photo_the_size_of_the_filters_works(tmp_path, capsys):
    photo = tmp_path / "four.png"
    cv2.imwrite(str(photo), np.tile(np.array([0, 0, 255, 255], dtype=np.uint8), (4, 1)))
    status, _, err = run_main(capsys, photo, "--out", tmp_path / "out", "--save-arrays")
    assert (status, err) == (0, "")
    saved = np.load(tmp_path / "out" / "maps.npz")
    np.testing.assert_allclose(saved["feature_maps"][:, 0, 0], [8, -8, 0, 0])


@pytest.mark.parametrize("name", ["filters.png", "feature_maps.png", "activated_maps.png", "maps.npz"])
def test_a_folder_in_the_way_of_an_output_file_exits_2(tmp_path, capsys, name):
    out = tmp_path / "out"
    (out / name).mkdir(parents=True)
    status, stdout, err = run_main(capsys, sample_image_path(), "--out", out, "--save-arrays")
    assert_one_line(status, stdout, err, f"cannot write {out / name}", "choose another --out DIR")
    assert "Wrote" not in stdout


def test_a_failing_write_exits_2(tmp_path, capsys, monkeypatch):
    # A full disk: the second figure cannot be written.
    calls = []
    real_savefig = Figure.savefig

    def savefig(self, path, **options):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(path))
        return real_savefig(self, path, **options)

    monkeypatch.setattr(Figure, "savefig", savefig)
    out = tmp_path / "out"
    status, stdout, err = run_main(capsys, sample_image_path(), "--out", out)
    assert_one_line(status, stdout, err, f"cannot write {out / 'feature_maps.png'}",
                    "No space left on device")


def test_a_system_folder_as_output_exits_2(capsys):
    # /proc refuses new files even to root; the message names the folder or file.
    if not Path("/proc").is_dir():
        pytest.skip("no /proc on this system")
    status, out, err = run_main(capsys, sample_image_path(), "--out", "/proc")
    assert_one_line(status, out, err, "/proc", "choose another --out DIR")
