"""The command line: its files, their content, and each error exit.

The references are independent of the command line's code: PyTorch's
``nn.Conv2d`` (the lesson's layer) or an explicit loop for the maps, NumPy
for the block means, and matplotlib's colour maps for the pictures' colours.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from convbook import correlate2d_fast, feature_maps, filter_set, load_grayscale, sample_image_path
from convbook.cli import compute_maps, display_size, main

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
        # Exactly the numbers of correlate2d_fast, filter by filter: sliding a
        # negated filter is replaced by negating the map, which changes nothing.
        fast = correlate2d_fast(load_grayscale(path), filters)
        np.testing.assert_array_equal(saved["feature_maps"], fast)
        np.testing.assert_array_equal(saved["activated_maps"], np.maximum(fast, 0))


def test_display_size_only_shrinks_large_maps():
    assert display_size(283, 397) == (283, 397)
    assert display_size(300, 400) == (300, 400)
    assert display_size(400, 120) == (400, 120)
    # Shrunk by the smallest whole factor f that brings both sides within
    # 400; a partial block along an edge still gives a pixel.
    assert display_size(2997, 3997) == (300, 400)  # f = 10
    assert display_size(3997, 2997) == (400, 300)  # a portrait photo
    assert display_size(997, 1497) == (250, 375)  # f = 4
    assert display_size(300, 401) == (150, 201)  # f = 2
    assert display_size(1, 4001) == (1, 364)  # f = 11


def block_means(values: np.ndarray, factor: int) -> np.ndarray:
    """The mean of each factor x factor block, in float64: pad with NaN, skip it."""
    height, width = values.shape
    padded = np.full((-(-height // factor) * factor, -(-width // factor) * factor), np.nan)
    padded[:height, :width] = values
    blocks = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor)
    return np.nanmean(blocks, axis=(1, 3))


def test_maps_of_a_large_photo_are_computed_at_full_size(tmp_path):
    # A 1000 x 1500 photo: 997 x 1497 maps, shown as means of 4 x 4 blocks
    # (the last row and column of blocks only 1 pixel high or wide). The
    # reference computes every map at full size with nn.Conv2d, then the
    # block means; shrinking first would give other numbers.
    big = cv2.resize(cv2.imread(str(sample_image_path())), (1500, 1000))
    photo = tmp_path / "big.png"
    cv2.imwrite(str(photo), big)
    assert main([str(photo), "--out", str(tmp_path / "out"), "--save-arrays"]) == 0
    saved = np.load(tmp_path / "out" / "maps.npz")
    assert list(saved["full_size"]) == [997, 1497]
    assert saved["feature_maps"].shape == saved["activated_maps"].shape == (4, 250, 375)
    filters, _ = filter_set("lesson")
    conv, activated = feature_maps(load_grayscale(photo), filters)
    assert conv.shape == (4, 997, 1497)
    for k in range(4):
        np.testing.assert_allclose(saved["feature_maps"][k], block_means(conv[k], 4), atol=1e-5)
        np.testing.assert_allclose(saved["activated_maps"][k], block_means(activated[k], 4),
                                   atol=1e-5)
    np.testing.assert_array_equal(saved["activated_maps"] >= 0, True)
    # Edges are thin: shrinking the photo first would blur them away.
    assert np.abs(saved["feature_maps"]).max() > 0.5


@pytest.mark.parametrize("shape", [(61, 83), (997, 1203), (5, 2000)])
def test_a_negated_filter_gives_the_same_maps_as_sliding_it(shape):
    # compute_maps negates the map of a filter's negation instead of sliding
    # it again; the maps must be those of sliding it on its own.
    rng = np.random.default_rng(3)
    image = rng.random(shape, dtype=np.float32)
    kernel = rng.normal(size=(3, 4)).astype(np.float32)
    both = compute_maps(image, np.stack([kernel, -kernel]))
    alone = compute_maps(image, -kernel[np.newaxis])
    np.testing.assert_allclose(both["feature_maps"][1], alone["feature_maps"][0], atol=1e-6)
    np.testing.assert_allclose(both["activated_maps"][1], alone["activated_maps"][0], atol=1e-6)
    assert (both["activated_maps"] >= 0).all()
    assert not np.signbit(both["feature_maps"][both["feature_maps"] == 0]).any()  # no -0.0


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


def test_the_cli_path_imports_neither_torch_nor_matplotlib(tmp_path):
    # A 12-megapixel photo must take well under 1.5 s on a slow 2-core
    # machine: importing PyTorch or matplotlib takes about a second there.
    # Net and feature_maps load PyTorch lazily; the pictures are drawn with
    # OpenCV. The real entry point, python -m convbook, in a fresh interpreter.
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['convbook', {str(sample_image_path())!r}, '--out', {str(tmp_path)!r},"
        " '--save-arrays']\n"
        "try:\n"
        "    runpy.run_module('convbook', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "maps.npz").is_file()


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


def find_panel(picture: np.ndarray, panel: np.ndarray) -> tuple[int, int]:
    """Where ``panel`` is in ``picture`` (top, left); it must be there, to a level or so."""
    scores = cv2.matchTemplate(picture.astype(np.float32), panel.astype(np.float32), cv2.TM_SQDIFF)
    _, _, (left, top), _ = cv2.minMaxLoc(scores)
    found = picture[top:top + panel.shape[0], left:left + panel.shape[1]].astype(int)
    difference = np.abs(found - panel.astype(int))
    # Rounding may put a value into the next of the 256 colours (one level apart).
    assert difference.max() <= 1, f"panel not found: off by up to {difference.max()} levels"
    return top, left


def test_the_pictures_draw_the_saved_maps(tmp_path):
    # Each panel of the PNG files shows its saved array, value by value, in
    # matplotlib's colour maps: the feature maps in RdBu_r on one scale from
    # -m to m (m the largest absolute value), the activated maps in gray
    # from each map's smallest value to its largest. The 57 x 77 maps of an
    # 80 x 60 photo are drawn enlarged: each value a 5 x 5 square.
    import matplotlib
    from matplotlib.colors import Normalize

    small = cv2.resize(cv2.imread(str(sample_image_path())), (80, 60), interpolation=cv2.INTER_AREA)
    photo = tmp_path / "small.png"
    cv2.imwrite(str(photo), small)
    assert main([str(photo), "--out", str(tmp_path / "out"), "--save-arrays"]) == 0
    saved = np.load(tmp_path / "out" / "maps.npz")
    assert saved["feature_maps"].shape == (4, 57, 77)
    limit = np.abs(saved["feature_maps"]).max()
    expected = {
        "feature_maps": [matplotlib.colormaps["RdBu_r"](Normalize(-limit, limit)(m), bytes=True)
                         [..., 2::-1] for m in saved["feature_maps"]],  # RGBA to BGR
        "activated_maps": [matplotlib.colormaps["gray"](Normalize()(m), bytes=True)[..., 0]
                           for m in saved["activated_maps"]],
    }
    for name, panels in expected.items():
        picture = cv2.imread(str(tmp_path / "out" / f"{name}.png"), cv2.IMREAD_UNCHANGED)
        places = [find_panel(picture, np.repeat(np.repeat(p, 5, axis=0), 5, axis=1))
                  for p in panels]
        # Two columns, in reading order.
        (t1, l1), (t2, l2), (t3, l3), (t4, l4) = places
        assert t1 == t2 < t3 == t4 and l1 == l3 < l2 == l4, places
    # The filters: gray from -1 (black) to 1 (white), a square cell per weight.
    picture = cv2.imread(str(tmp_path / "out" / "filters.png"), cv2.IMREAD_UNCHANGED)
    assert picture.ndim == 2  # gray
    cell, places = find_filter_panels(picture, saved["filters"])
    assert cell >= 24 and [top for top, _ in places] == [places[0][0]] * 4
    assert [left for _, left in places] == sorted(left for _, left in places)  # in order


def find_filter_panels(picture: np.ndarray, filters: np.ndarray) -> tuple[int, list]:
    """The cell size, and where each filter's panel is: black cells for
    negative weights, white for positive; the middle of each cell, where
    the weight is written, is not compared. The largest size that fits is
    the one drawn (a smaller pattern fits inside a larger one)."""
    for cell in range(128, 7, -1):
        middle = np.ones((cell, cell), np.float32)
        middle[cell // 6: cell - cell // 6, cell // 6: cell - cell // 6] = 0
        places = []
        for kernel in filters:
            cells = np.where(kernel < 0, 0, 255).astype(np.float32)
            expected = np.kron(cells, np.ones((cell, cell), np.float32))
            mask = np.kron(np.ones(kernel.shape, np.float32), middle)
            if expected.shape[0] > picture.shape[0] or expected.shape[1] > picture.shape[1]:
                break
            scores = cv2.matchTemplate(picture.astype(np.float32), expected, cv2.TM_SQDIFF,
                                       mask=mask)
            best, _, (left, top), _ = cv2.minMaxLoc(scores)
            if best > 0.5:
                break
            places.append((top, left))
        else:
            return cell, places
    raise AssertionError("the filters' cells are not in the picture")


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
    # A full disk: the second picture cannot be written.
    calls = []
    real_write_bytes = Path.write_bytes

    def write_bytes(self, data):
        calls.append(self)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(self))
        return real_write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
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


@pytest.mark.parametrize("kind", ["jpeg", "png with alpha", "gray png"])
def test_the_photo_is_read_as_load_grayscale_reads_it(tmp_path, kind):
    # The command line decodes with its own code (one float32 array instead
    # of two); the numbers must be the lesson's, exactly.
    from convbook.cli import _load_photo

    bgr = cv2.imread(str(sample_image_path()))
    path = tmp_path / ("photo.jpg" if kind == "jpeg" else "photo.png")
    if kind == "png with alpha":
        bgr = np.dstack([bgr, np.full(bgr.shape[:2], 128, np.uint8)])
    elif kind == "gray png":
        bgr = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    assert cv2.imwrite(str(path), bgr)
    ours, lesson = _load_photo(path), load_grayscale(path)
    assert ours.dtype == lesson.dtype == np.float32
    np.testing.assert_array_equal(ours, lesson)
