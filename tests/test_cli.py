"""The command line: its files, their content, and each error exit.

The references are independent of the command line's code: PyTorch's
``nn.Conv2d`` (the lesson's layer) or an explicit loop for the maps, NumPy
for the block means, and the book's own plotting calls for the pictures.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import cv2
import matplotlib
import numpy as np
import pytest
import torch

import convbook.plotting
from convbook import filter_set, load_grayscale, sample_image_path
from convbook.cli import _maps_to_draw, build_parser, compute_maps, display_size, main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "convbook", *map(str, args)],
        capture_output=True, text=True, cwd=cwd or ROOT,
    )


def conv2d_reference(path: Path, filters: np.ndarray) -> np.ndarray:
    """The lesson's layer on the photo at ``path``: cv2.imread, gray, / 255,
    then ``nn.Conv2d`` with ``filters`` as its weights (no bias), float32."""
    gray = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2GRAY).astype("float32") / 255
    count, k_height, k_width = filters.shape
    layer = torch.nn.Conv2d(1, count, kernel_size=(k_height, k_width), bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(np.asarray(filters, dtype=np.float32)).unsqueeze(1))
        return layer(torch.from_numpy(gray)[None, None])[0].numpy()


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


def test_maps_npz_holds_the_full_size_maps_of_nn_conv2d_for_the_books_photo(tmp_path, capsys):
    # The book's photo, 640 x 427: the lesson's layer gives four 424 x 637
    # maps, whose largest absolute value the book's colour bar shows (4.34).
    out = tmp_path / "out"
    assert main([str(sample_image_path()), "--out", str(out), "--save-arrays"]) == 0
    assert str(out / "maps.npz") in capsys.readouterr().out
    saved = np.load(out / "maps.npz")
    assert sorted(saved.files) == ["feature_maps", "filters"]
    filters, _ = filter_set("lesson")
    assert saved["filters"].dtype == np.float32
    np.testing.assert_array_equal(saved["filters"], filters)
    reference = conv2d_reference(sample_image_path(), filters)
    assert saved["feature_maps"].dtype == np.float32
    assert saved["feature_maps"].shape == reference.shape == (4, 424, 637)
    np.testing.assert_allclose(saved["feature_maps"], reference, atol=1e-5, rtol=0)
    assert round(float(np.abs(reference).max()), 2) == 4.34
    # --help states this shape for this photo.
    assert "(4, 424, 637)" in build_parser().format_help()


@pytest.mark.parametrize("name", ["sobel", "blur", "laplacian"])
def test_maps_npz_of_each_filter_set_equals_nn_conv2d(tmp_path, name):
    # A crop of the photo (PNG, lossless), to keep it quick.
    path = tmp_path / "crop.png"
    cv2.imwrite(str(path), cv2.imread(str(sample_image_path()))[100:220, 150:330])
    assert main([str(path), "--filters", name, "--out", str(tmp_path / "out"), "--save-arrays"]) == 0
    names = ["activated_maps.png", "feature_maps.png", "filters.png", "maps.npz"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == names
    saved = np.load(tmp_path / "out" / "maps.npz")
    filters, _ = filter_set(name)
    reference = conv2d_reference(path, filters)
    assert saved["feature_maps"].dtype == np.float32
    assert saved["feature_maps"].shape == reference.shape == (len(filters), 118, 178)
    np.testing.assert_allclose(saved["feature_maps"], reference, atol=1e-5, rtol=0)


def test_display_size_only_shrinks_large_maps():
    assert display_size(424, 637) == (424, 637)  # the book's photo
    assert display_size(640, 640) == (640, 640)
    assert display_size(640, 120) == (640, 120)
    # Shrunk by the smallest whole factor f that brings both sides within
    # 640; a partial block along an edge still gives a pixel.
    assert display_size(2997, 3997) == (429, 571)  # f = 7
    assert display_size(3997, 2997) == (571, 429)  # a portrait photo
    assert display_size(997, 1497) == (333, 499)  # f = 3
    assert display_size(300, 641) == (150, 321)  # f = 2
    assert display_size(1, 6401) == (1, 582)  # f = 11


def block_means(values: np.ndarray, factor: int) -> np.ndarray:
    """The mean of each factor x factor block, in float64: pad with NaN, skip it."""
    height, width = values.shape
    padded = np.full((-(-height // factor) * factor, -(-width // factor) * factor), np.nan)
    padded[:height, :width] = values
    blocks = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor)
    return np.nanmean(blocks, axis=(1, 3))


class Drawn:
    """The figures the command line's calls of the book's plotting functions return."""

    def __init__(self, monkeypatch):
        self.feature_maps: list = []  # one Figure per call of plot_feature_maps
        real = convbook.plotting.plot_feature_maps

        def recording(*args, **kwargs):
            figure = real(*args, **kwargs)
            self.feature_maps.append(figure)
            return figure

        monkeypatch.setattr(convbook.plotting, "plot_feature_maps", recording)


@pytest.mark.parametrize("save_arrays", [True, False], ids=["with maps.npz", "pictures only"])
def test_colours_of_a_large_photo_stand_for_its_full_size_maps(tmp_path, monkeypatch, save_arrays):
    # A 1000 x 1500 photo: 997 x 1497 maps, saved whole, drawn as means of
    # 3 x 3 blocks (the last column of blocks 2 pixels wide). The colour bar
    # runs from -m to m, m the largest |value| of the full-size maps (block
    # means are smaller); each ReLU panel from its full-size map's ReLU
    # minimum to its maximum. Without --save-arrays the maps are computed
    # one at a time, never all kept: the same pictures.
    big = cv2.resize(cv2.imread(str(sample_image_path())), (1500, 1000))
    photo = tmp_path / "big.png"
    cv2.imwrite(str(photo), big)
    drawn = Drawn(monkeypatch)
    save = ["--save-arrays"] if save_arrays else []
    assert main([str(photo), "--out", str(tmp_path / "out"), *save]) == 0
    filters, _ = filter_set("lesson")
    reference = conv2d_reference(photo, filters)
    assert reference.shape == (4, 997, 1497)
    if save_arrays:
        saved = np.load(tmp_path / "out" / "maps.npz")
        np.testing.assert_allclose(saved["feature_maps"], reference, atol=1e-5, rtol=0)
    else:
        assert not (tmp_path / "out" / "maps.npz").exists()
    limit = float(np.abs(reference).max())
    before, after = drawn.feature_maps
    *panels, colour_bar = before.axes
    assert len(panels) == 4
    for k, panel in enumerate(panels):
        (image,) = panel.images
        assert image.get_clim() == pytest.approx((-limit, limit), abs=1e-5)
        np.testing.assert_allclose(image.get_array(), block_means(reference[k], 3), atol=1e-5)
    assert colour_bar.get_ylim() == pytest.approx((-limit, limit), abs=1e-5)
    # What shrinking first would have shown: a smaller range.
    assert np.abs(block_means(reference[0], 3)).max() < 0.9 * limit
    for k, panel in enumerate(after.axes):
        (image,) = panel.images
        relu = np.maximum(reference[k], 0)
        assert image.get_clim() == pytest.approx((relu.min(), relu.max()), abs=1e-5)
        np.testing.assert_allclose(image.get_array(), block_means(relu, 3), atol=1e-5)


def book_figure_png(figure) -> np.ndarray:
    """The figure as the book saves it (its rcParams, savefig), decoded to BGR."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(convbook.plotting.BOOK_STYLE):
        figure.savefig(buffer, format="png")
    return cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_COLOR)


def test_the_pictures_are_the_books_figures_of_the_full_size_maps(tmp_path):
    # On the book's photo nothing is shrunk: each PNG is, pixel for pixel,
    # the figure the book's plotting draws from the full-size maps (as the
    # chapters draw the lesson's filters and maps).
    from convbook.plotting import BOOK_STYLE, plot_feature_maps, plot_filters

    out = tmp_path / "out"
    assert main([str(sample_image_path()), "--out", str(out), "--save-arrays"]) == 0
    saved = np.load(out / "maps.npz")
    maps, titles = saved["feature_maps"], [f"Filter {i}" for i in range(1, 5)]
    with matplotlib.rc_context(BOOK_STYLE):
        expected = {
            "filters.png": plot_filters(saved["filters"], titles, panel_size=1.7),
            "feature_maps.png": plot_feature_maps(
                maps, [f"{t} (424 x 637)" for t in titles], ncols=2, cmap="RdBu_r",
                symmetric=True, colorbar=True),
            "activated_maps.png": plot_feature_maps(
                np.maximum(maps, 0), [f"ReLU({t})" for t in titles], ncols=2),
        }
    for name, figure in expected.items():
        picture = cv2.imread(str(out / name), cv2.IMREAD_COLOR)
        np.testing.assert_array_equal(picture, book_figure_png(figure), err_msg=name)


@pytest.mark.parametrize("shape", [(61, 83), (997, 1203), (5, 2000)])
def test_a_negated_filter_is_drawn_as_sliding_it(shape):
    # The drawing takes a negated filter's limits and block means from the
    # earlier filter's instead of passing over its map again; they must be
    # those of its own map.
    rng = np.random.default_rng(3)
    image = rng.random(shape, dtype=np.float32)
    kernel = rng.normal(size=(3, 4)).astype(np.float32)

    def drawn_for(filters):
        maps = compute_maps(image, filters)["feature_maps"]
        return _maps_to_draw(filters, lambda k: maps[k].copy(), maps.shape[1:])

    both = drawn_for(np.stack([kernel, -kernel]))
    alone = drawn_for(-kernel[np.newaxis])
    for key in ("feature_maps", "activated_maps"):
        np.testing.assert_allclose(both[key][1], alone[key][0], atol=1e-6)
    for key in ("feature_limits", "activated_limits"):
        assert both[key][1] == pytest.approx(alone[key][0], abs=1e-6)
    assert (both["activated_maps"] >= 0).all()


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


def test_out_naming_a_file_says_it_is_a_file(tmp_path):
    # The file is left as it was, and nothing is written beside it.
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me")
    result = run_cli(sample_image_path(), "--out", existing)
    assert_one_line_error(result)
    assert result.stderr == (f"python -m convbook: error: {existing} is a file, not a folder: "
                             "choose another --out DIR\n")
    assert existing.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_out_below_a_file_says_which_file_is_in_the_way(tmp_path):
    # A path below a regular file cannot be created, even by root.
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    result = run_cli(sample_image_path(), "--out", blocker / "maps" / "rocket")
    assert_one_line_error(result, f"cannot create the output folder {blocker / 'maps' / 'rocket'}",
                          f"{blocker} is a file, not a folder", "choose another --out DIR")


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
                     "filters.png", "feature_maps.png", "activated_maps.png", "exit status",
                     "full size", "--save-arrays", "maps.npz", "torch.nn.Conv2d",
                     "feature_maps  (n, H - kh + 1, W - kw + 1)  float32",
                     "numpy.maximum(feature_maps, 0)", "(4, 2997, 3997)"]:
        assert fragment in result.stdout
    assert "activated_maps  (" not in result.stdout and "full_size" not in result.stdout


def test_the_cli_imports_no_torch_and_no_pyplot(tmp_path):
    # A 12-megapixel photo must take under 1.5 s on a slow 2-core machine:
    # importing PyTorch takes a second or so there. The pictures are drawn
    # by the book's matplotlib code on bare Figures (Agg), without pyplot
    # and its global figure manager. The real entry point, python -m
    # convbook, in a fresh interpreter.
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['convbook', {str(sample_image_path())!r}, '--out', {str(tmp_path)!r},"
        " '--save-arrays']\n"
        "try:\n"
        "    runpy.run_module('convbook', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "print(sorted(m for m in ('torch', 'matplotlib.pyplot', 'matplotlib') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['matplotlib']"
    assert (tmp_path / "maps.npz").is_file()


def test_main_leaves_matplotlibs_settings_as_they_were(tmp_path, capsys):
    # The chapter runs main() in its kernel: the book's style applies to the
    # command line's figures only. Settings unlike the book's, to see a change.
    with matplotlib.rc_context({"font.size": 7.0, "image.interpolation": "bilinear"}):
        before = dict(matplotlib.rcParams)
        assert main([str(sample_image_path()), "--out", str(tmp_path)]) == 0
        assert dict(matplotlib.rcParams) == before


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
    np.testing.assert_array_equal(saved["filters"], LESSON_FILTERS)
    maps = saved["feature_maps"]
    assert maps.shape == (4, 9, 11)
    _, signs = EDGES[edge]
    for k in range(4):
        expected = correlate_by_loop(gray, LESSON_FILTERS[k])
        np.testing.assert_allclose(maps[k], expected, atol=1e-5)
        # Where the window covers the edge, the map has the filter's sign;
        # elsewhere (a flat region) it is zero.
        at_edge = expected != 0
        if signs[k] == 0:
            assert not at_edge.any(), f"filter {k + 1} should not see a {edge} edge"
        else:
            assert at_edge.any()
            assert np.all(np.sign(maps[k][at_edge]) == signs[k]), f"filter {k + 1}, {edge}"
            assert np.all(maps[k][~at_edge] == 0)


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
    # The colour bar: the figure's last 0.9 inch (90 pixels at 100 dpi);
    # the two columns of panels share the rest.
    colour_bar = red.shape[1] - 90
    half = colour_bar // 2
    assert strongly_red[:, :half].sum() > 1000  # filter 1, the left panel
    assert strongly_blue[:, half:colour_bar].sum() > 1000  # filter 2, the right panel
    assert not strongly_blue[:, :half].any() and not strongly_red[:, half:colour_bar].any()


def test_each_colour_bar_tick_sits_beside_its_own_colour(tmp_path, monkeypatch):
    # The colour bar as the reader sees it: the drawn pixel in the middle of
    # the bar at each tick's height has the colour that the map's colour map
    # gives that tick's value (an upside-down bar, or ticks at the wrong
    # heights, would put the colour of -v beside the label v).
    drawn = Drawn(monkeypatch)
    assert main([str(sample_image_path()), "--out", str(tmp_path / "out")]) == 0
    before = drawn.feature_maps[0]
    *panels, colour_bar = before.axes
    (image,) = panels[0].images
    with matplotlib.rc_context(convbook.plotting.BOOK_STYLE):
        before.canvas.draw()
    rgba = np.asarray(before.canvas.buffer_rgba())[..., :3].astype(int)
    height = rgba.shape[0]
    box = colour_bar.get_window_extent()
    ticks = [v for v in colour_bar.get_yticks()
             if colour_bar.get_ylim()[0] <= v <= colour_bar.get_ylim()[1]]
    assert len(ticks) >= 3 and min(ticks) < 0 < max(ticks)
    for value in ticks:
        _, y = colour_bar.transData.transform((0, value))
        row = int(round(height - y))
        row = min(max(row, int(height - box.y1) + 2), int(height - box.y0) - 3)
        pixel = rgba[row, int(round((box.x0 + box.x1) / 2))]
        expected = np.array(image.cmap(image.norm(value))[:3]) * 255
        assert np.abs(pixel - expected).max() < 40, (value, pixel, expected)


def test_a_photo_too_large_for_memory_exits_2(tmp_path, capsys, monkeypatch):
    # The maps of a huge photo need more memory than there is: one line, exit 2.
    import convbook.cli

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(convbook.cli, "_write_pictures_of", out_of_memory)
    photo = sample_image_path()
    status, out, err = run_main(capsys, photo, "--out", tmp_path / "out")
    assert_one_line(status, out, err, f"{photo} (427x640 pixels) is too large for the memory",
                    "give a smaller photo")


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


def test_an_unreadable_photo_exits_2(tmp_path, capsys, monkeypatch):
    # No permission to read the photo. Root may read any file, so reading
    # this one is also refused where the command line reads it (the bytes,
    # with numpy.fromfile), as the system refuses it to other users.
    photo = tmp_path / "private.jpg"
    photo.write_bytes(sample_image_path().read_bytes())
    photo.chmod(0)
    real_fromfile = np.fromfile

    def fromfile(file, *args, **kwargs):
        if Path(file) == photo:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return real_fromfile(file, *args, **kwargs)

    monkeypatch.setattr(np, "fromfile", fromfile)
    status, out, err = run_main(capsys, photo, "--out", tmp_path / "out")
    assert_one_line(status, out, err, f"cannot read {photo} (Permission denied)",
                    "give a photo you may read")
    assert not (tmp_path / "out").exists()
