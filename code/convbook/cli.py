"""The command line: the lesson's figures for your own photo.

``python -m convbook PHOTO [--filters lesson|sobel|blur|laplacian] [--out DIR]
[--save-arrays]`` writes three PNG files -- the filters, the feature maps and
the activated (ReLU) maps -- and prints their paths; with ``--save-arrays``
also ``maps.npz``, the numbers the pictures show.

The maps are computed at the photo's full size with ``cv2.filter2D`` on
float32 (the call :func:`convbook.correlate2d_fast` makes: the same numbers
as the lesson's ``nn.Conv2d``, without the cost of importing PyTorch), and
only then shrunk to display size, each drawn pixel the mean of a block of
the map. The pictures are drawn with NumPy and OpenCV, one array value per
pixel block, without matplotlib (a second's import on a slow machine).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from .kernels import FILTER_SETS

__all__ = ["main", "build_parser", "make_figures", "compute_maps", "write_outputs",
           "display_size"]

#: The most pixels a map is drawn (and saved) on either side; larger maps
#: are shrunk by block means, for display only.
DISPLAY_SIZE = 400
#: The file ``--save-arrays`` writes.
ARRAYS_NAME = "maps.npz"
#: The arrays in :data:`ARRAYS_NAME`.
ARRAY_KEYS = ("filters", "feature_maps", "activated_maps", "full_size")

DESCRIPTION = """\
Run the lesson's convolutional layer on your own photo.

The photo is loaded as grayscale in [0, 1], every filter of the chosen set is
slid over it (a valid cross-correlation, as torch.nn.Conv2d computes it), and
ReLU is applied. Three PNG files are written to the output folder:

  filters.png         the filters, each weight written on its cell
  feature_maps.png    one feature map per filter, before activation, all in
                      one colour scale centred on zero (red positive, blue
                      negative), with a colour bar
  activated_maps.png  the same maps after ReLU, each in gray from its own
                      smallest value (black) to its largest (white)

With --save-arrays, also maps.npz (load it with numpy.load): the numbers the
pictures show, as arrays
  filters         (n, kh, kw)  float32  the filters
  feature_maps    (n, h, w)    float32  the maps before activation
  activated_maps  (n, h, w)    float32  the maps after ReLU
  full_size       (2,)         int      the maps' full height and width

The maps are computed at the photo's full size; only the pictures (and the
arrays in maps.npz) are shrunk, to at most %d pixels on either side: each
value is then the mean of an f x f block of the full-size map, f the
smallest whole number that brings both sides within %d (the blocks along
the right and bottom edges may be narrower). A map that fits is kept as it
is, and drawn enlarged by a whole factor if it is small.
""" % (DISPLAY_SIZE, DISPLAY_SIZE)

EPILOG = """\
filter sets:
  lesson     the lesson's four 4x4 edge filters (default)
  sobel      Sobel x and y and their negations (3x3)
  blur       the 3x3 box blur
  laplacian  the Laplacian and its negation (3x3)

exit status: 0 on success; 2, with a one-line message on standard error, for
a missing, empty or unreadable photo, a photo smaller than the filters, an
unknown filter set, or an output folder or file that cannot be written.

example:
  python -m convbook my_photo.jpg --filters sobel --out sobel_maps
"""


class _OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump), exit 2."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the command line's argument parser.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = _OneLineParser(
        prog="python -m convbook",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("photo", metavar="PHOTO", type=Path,
                        help="the image file (JPEG, PNG, or anything OpenCV reads)")
    parser.add_argument("--filters", default="lesson", choices=FILTER_SETS,
                        metavar="{" + ",".join(FILTER_SETS) + "}",
                        help="which filters to apply (default: lesson)")
    parser.add_argument("--out", type=Path, default=Path("convbook-output"), metavar="DIR",
                        help="folder for the PNG files, created if missing "
                             "(default: ./convbook-output)")
    parser.add_argument("--save-arrays", action="store_true",
                        help=f"also write {ARRAYS_NAME}, the numbers drawn in the map "
                             "figures (see above)")
    return parser


def _load_photo(path: Path) -> np.ndarray:
    """:func:`convbook.load_grayscale`, the same numbers, with one float32 array.

    Decoded to BGR (as ``cv2.imread`` does), converted to gray, then divided
    by 255 in place: for a 12-megapixel photo that saves a 48 MB array and
    the time to fill it. Raises as ``load_grayscale`` does.
    """
    from .images import read_bgr

    gray = cv2.cvtColor(read_bgr(path), cv2.COLOR_BGR2GRAY).astype(np.float32)
    gray /= 255
    return gray


def display_size(height: int, width: int, max_size: int = DISPLAY_SIZE) -> tuple[int, int]:
    """The size a map is drawn and saved at: at most ``max_size`` on either side.

    A larger map is shrunk by a whole factor ``f``, the smallest that brings
    both sides within ``max_size``: each shown value is the mean of an
    ``f x f`` block (narrower along the right and bottom edges).

    Parameters
    ----------
    height, width : int
        The map's size.
    max_size : int
        The most pixels shown on either side.

    Returns
    -------
    tuple of int
        ``(ceil(height / f), ceil(width / f))``, unchanged if already small.
    """
    factor = _shrink_factor(height, width, max_size)
    return -(-height // factor), -(-width // factor)


def _shrink_factor(height: int, width: int, max_size: int = DISPLAY_SIZE) -> int:
    return max(1, -(-max(height, width) // max_size))


def _block_means(values: np.ndarray, factor: int) -> np.ndarray:
    """The mean of each ``factor x factor`` block of ``values`` (2-D float32).

    The blocks start at the top-left corner; those along the right and
    bottom edges hold what is left (fewer pixels), so no pixel is dropped.
    Returns a new float32 array of shape ``display_size`` gives.
    """
    if factor == 1:
        return np.array(values, dtype=np.float32)
    height, width = values.shape
    rows, cols = height // factor, width // factor  # whole blocks
    extra_rows, extra_cols = height - rows * factor, width - cols * factor
    out = np.empty((-(-height // factor), -(-width // factor)), dtype=np.float32)
    if rows and cols:
        # A whole scale factor takes INTER_AREA's fast path: the plain mean
        # of each block (the general INTER_AREA is five times slower).
        out[:rows, :cols] = cv2.resize(values[: rows * factor, : cols * factor], (cols, rows),
                                       interpolation=cv2.INTER_AREA)
    if rows and extra_cols:
        right = values[: rows * factor, cols * factor:].reshape(rows, factor, extra_cols)
        out[:rows, cols] = right.mean(axis=(1, 2), dtype=np.float64)
    if extra_rows and cols:
        bottom = values[rows * factor:, : cols * factor].reshape(extra_rows, cols, factor)
        out[rows, :cols] = bottom.mean(axis=(0, 2), dtype=np.float64)
    if extra_rows and extra_cols:
        out[rows, cols] = values[rows * factor:, cols * factor:].mean(dtype=np.float64)
    return out


def compute_maps(image: np.ndarray, filters: np.ndarray) -> dict[str, np.ndarray]:
    """The feature maps and activated maps of ``image``, at display size.

    Each map is computed at full size (``cv2.filter2D`` on float32, as
    :func:`convbook.correlate2d_fast` computes it), activated (ReLU) at full
    size, and only then shrunk to :func:`display_size` by block means.

    A filter that is the negation of an earlier one (the lesson's filters 2
    and 4, and the other sets' negations) is not slid again: its map is
    exactly the earlier map negated (every product and sum only changes
    sign), and its activated map is ``ReLU(-x) = ReLU(x) - x``, computed on
    the shrunk maps (exact for maps that are not shrunk; within float32
    rounding of the block means otherwise).

    Parameters
    ----------
    image : array_like, shape (H, W)
        A grayscale image.
    filters : array_like, shape (n, kh, kw) or (kh, kw)
        The kernels.

    Returns
    -------
    dict of str to numpy.ndarray
        ``"filters"`` (n, kh, kw); ``"feature_maps"`` and ``"activated_maps"``,
        each (n, h, w) float32 with ``(h, w) = display_size(H - kh + 1, W - kw + 1)``;
        ``"full_size"``, the array ``[H - kh + 1, W - kw + 1]``.

    Raises
    ------
    ValueError
        For bad input, as :func:`convbook.correlate2d_fast` says: an image
        that is not 2-D, filters that are not 2-D kernels, a kernel larger
        than the image, NaN or infinite values.
    """
    from ._validation import as_filters, as_image, check_kernel_fits

    image = as_image(image)
    filters = as_filters(filters)
    check_kernel_fits(image, filters.shape[1:])
    count, k_height, k_width = filters.shape
    height, width = image.shape[0] - k_height + 1, image.shape[1] - k_width + 1
    factor = _shrink_factor(height, width)
    shown = (count, *display_size(height, width))
    feature_maps = np.empty(shown, dtype=np.float32)
    activated_maps = np.empty(shown, dtype=np.float32)
    # One full-size map at a time: a 12-megapixel photo gives 48 MB per map.
    full = np.empty(image.shape, dtype=np.float32)
    for k in range(count):
        twin = next((j for j in range(k) if np.array_equal(filters[j], -filters[k])), None)
        if twin is not None:
            np.negative(feature_maps[twin], out=feature_maps[k])
            feature_maps[k] += 0.0  # -0.0 becomes 0.0
            np.subtract(activated_maps[twin], feature_maps[twin], out=activated_maps[k])
            np.maximum(activated_maps[k], 0.0, out=activated_maps[k])
            continue
        # With anchor (0, 0), full[r, c] = sum image[r + i, c + j] * kernel[i, j];
        # rows 0 .. H-kh and columns 0 .. W-kw never touch the padded border.
        cv2.filter2D(image, cv2.CV_32F, filters[k], dst=full, anchor=(0, 0),
                     borderType=cv2.BORDER_REFLECT_101)
        feature_maps[k] = _block_means(full[:height, :width], factor)
        np.maximum(full, 0.0, out=full)  # ReLU at full size, in place
        activated_maps[k] = _block_means(full[:height, :width], factor)
    return {
        "filters": filters,
        "feature_maps": feature_maps,
        "activated_maps": activated_maps,
        "full_size": np.array([height, width]),
    }


# --- Drawing ------------------------------------------------------------------
# Plain arrays: white canvases (uint8; BGR for the colour picture, one channel
# for the gray ones) with the maps pasted in at display size, their frames,
# and the text written with cv2.putText (OpenCV's built-in font).

#: matplotlib's RdBu_r (ColorBrewer RdBu, reversed): dark blue, white, dark red.
_RDBU_R = ("053061", "2166ac", "4393c3", "92c5de", "d1e5f0", "f7f7f7",
           "fddbc7", "f4a582", "d6604d", "b2182b", "67001f")
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_TEXT_SCALE = 0.5
_MARGIN = 12  # around the picture
_GAP = 20  # between panels
_TITLE_ROOM = 26  # above each panel
_BLACK, _WHITE = (0, 0, 0), (255, 255, 255)
#: matplotlib's "gray": black to white.
_GRAY = np.arange(256, dtype=np.uint8)


def _colour_table(hex_colours: Sequence[str]) -> np.ndarray:
    # 256 BGR colours, linear between evenly spaced anchors (as matplotlib
    # builds a colour map from a list), each channel truncated to a byte.
    anchors = np.array([[int(c[i:i + 2], 16) / 255 for i in (4, 2, 0)] for c in hex_colours])
    at = np.linspace(0.0, 1.0, 256)
    positions = np.linspace(0.0, 1.0, len(anchors))
    table = np.stack([np.interp(at, positions, anchors[:, ch]) for ch in range(3)], axis=1)
    return (table * 255).astype(np.uint8)


def _colour(values: np.ndarray, table: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map ``values`` to colours of ``table``: ``low`` the first, ``high`` the last.

    As matplotlib's ``Normalize`` and colour maps do: the value's fraction of
    the way from ``low`` to ``high`` (float32), times 256, truncated, clipped
    to 0..255; every value is the first colour when ``low == high``.
    """
    low32, high32 = np.float32(low), np.float32(high)
    if high32 == low32:
        return table[np.zeros(values.shape, dtype=np.intp)]
    fraction = (values.astype(np.float32) - low32) / (high32 - low32)
    index = np.clip(fraction * np.float32(256), 0, 255).astype(np.intp)
    return table[index]


def _text_width(text: str) -> int:
    return cv2.getTextSize(text, _FONT, _TEXT_SCALE, 1)[0][0]


def _put_text(canvas: np.ndarray, text: str, centre_x: int, baseline: int,
              colour: tuple[int, int, int] = _BLACK) -> None:
    cv2.putText(canvas, text, (int(centre_x - _text_width(text) / 2), int(baseline)), _FONT,
                _TEXT_SCALE, colour, 1, cv2.LINE_AA)


def _paste(canvas: np.ndarray, picture: np.ndarray, top: int, left: int) -> None:
    # The picture, and a one-pixel black frame just outside it.
    height, width = picture.shape[:2]
    canvas[top:top + height, left:left + width] = picture
    cv2.rectangle(canvas, (left - 1, top - 1), (left + width, top + height), _BLACK, 1)


def _enlarge(picture: np.ndarray, zoom: int) -> np.ndarray:
    # Each value becomes a zoom x zoom square (no interpolation).
    if zoom == 1:
        return picture
    return np.repeat(np.repeat(picture, zoom, axis=0), zoom, axis=1)


def _nice_ticks(limit: float) -> list[float]:
    # Round values from -limit to limit, 1, 2, 2.5 or 5 times a power of ten
    # apart, at most 7 of them (what a colour bar's axis shows).
    exponent = np.floor(np.log10(limit)) - 1
    for step in (base * 10.0 ** exponent for base in (1, 2, 2.5, 5, 10, 20, 25, 50)):
        count = int(np.floor(limit / step + 1e-9))
        if 2 * count + 1 <= 7:
            return [i * step for i in range(-count, count + 1)]
    return [-limit, 0.0, limit]


def _format_tick(value: float, ticks: Sequence[float]) -> str:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = 0
    while decimals < 6 and abs(round(step, decimals) - step) > 1e-9 * max(1.0, step):
        decimals += 1
    return f"{value:.{max(decimals, 1)}f}"


def _format_weight(value: float) -> str:
    # As the book's plot_filters: integers as the lesson prints them,
    # other weights with 2 decimals.
    if float(value).is_integer():
        return str(int(value))
    return f"{float(value):.2f}"


def _draw_filters(filters: np.ndarray, titles: Sequence[str]) -> np.ndarray:
    """The filters side by side in gray (zero mid-gray), each weight on its cell.

    The gray scale runs from ``-m`` (black) to ``m`` (white), ``m`` the
    largest absolute weight; the text is white on negative cells and black
    otherwise, as the lesson draws it.
    """
    count, k_height, k_width = filters.shape
    cell = max(24, 192 // max(k_height, k_width))
    panel_h, panel_w = cell * k_height, cell * k_width
    column = max(panel_w, max(_text_width(t) for t in titles) + 8)
    width = 2 * _MARGIN + count * column + (count - 1) * _GAP
    height = 2 * _MARGIN + _TITLE_ROOM + panel_h
    canvas = np.full((height, width), 255, dtype=np.uint8)
    limit = float(np.abs(filters).max()) or 1.0
    top = _MARGIN + _TITLE_ROOM
    for i in range(count):
        left = _MARGIN + i * (column + _GAP) + (column - panel_w) // 2
        centre = left + panel_w / 2
        _paste(canvas, _enlarge(_colour(filters[i], _GRAY, -limit, limit), cell), top, left)
        _put_text(canvas, titles[i], centre, top - 9)
        for row in range(k_height):
            for col in range(k_width):
                value = float(filters[i, row, col])
                _put_text(canvas, _format_weight(value), left + (col + 0.5) * cell,
                          top + (row + 0.5) * cell + 5, _WHITE if value < 0 else _BLACK)
    return canvas


def _draw_maps(maps: np.ndarray, titles: Sequence[str], *, symmetric: bool) -> np.ndarray:
    """The maps in a grid of at most two columns, one title above each.

    ``symmetric``: all panels in one RdBu_r scale from ``-m`` (blue) to ``m``
    (red), ``m`` the largest absolute value, with a colour bar at the right.
    Otherwise each panel in gray from its own smallest value (black) to its
    largest (white). A map whose longer side is at most half the display
    size is enlarged by a whole factor, each value a square of pixels.
    """
    count, map_h, map_w = maps.shape
    zoom = max(1, DISPLAY_SIZE // max(map_h, map_w))
    panel_h, panel_w = map_h * zoom, map_w * zoom
    ncols = min(count, 2)
    nrows = -(-count // ncols)
    column = max(panel_w, max(_text_width(t) for t in titles) + 8)
    row_height = _TITLE_ROOM + panel_h
    bar_room = 90 if symmetric else 0
    width = 2 * _MARGIN + ncols * column + (ncols - 1) * _GAP + bar_room
    height = 2 * _MARGIN + nrows * row_height + (nrows - 1) * _GAP
    canvas = np.full((height, width, 3) if symmetric else (height, width), 255, dtype=np.uint8)
    if symmetric:
        table = _colour_table(_RDBU_R)
        limit = float(np.abs(maps).max()) or 1.0
    else:
        table = _GRAY
    for i in range(count):
        row, col = divmod(i, ncols)
        top = _MARGIN + row * (row_height + _GAP) + _TITLE_ROOM
        left = _MARGIN + col * (column + _GAP) + (column - panel_w) // 2
        low, high = (-limit, limit) if symmetric else (float(maps[i].min()), float(maps[i].max()))
        _paste(canvas, _enlarge(_colour(maps[i], table, low, high), zoom), top, left)
        _put_text(canvas, titles[i], left + panel_w / 2, top - 9)
    if symmetric:
        _draw_colour_bar(canvas, table, limit, left=width - _MARGIN - bar_room + _GAP,
                         top=_MARGIN + _TITLE_ROOM, bottom=height - _MARGIN)
    return canvas


def _draw_colour_bar(canvas: np.ndarray, table: np.ndarray, limit: float, *, left: int,
                     top: int, bottom: int) -> None:
    # A vertical bar from -limit (bottom) to limit (top), with labelled ticks.
    bar_w, rows = 14, bottom - top
    values = limit - (np.arange(rows) + 0.5) * (2 * limit / rows)  # each row's centre
    bar = _colour(values[:, None], table, -limit, limit)
    _paste(canvas, np.repeat(bar, bar_w, axis=1), top, left)
    ticks = _nice_ticks(limit)
    for value in ticks:
        y = int(round(top + (limit - value) / (2 * limit) * rows))
        cv2.line(canvas, (left + bar_w, y), (left + bar_w + 4, y), _BLACK, 1)
        cv2.putText(canvas, _format_tick(value, ticks), (left + bar_w + 7, y + 5), _FONT,
                    0.4, _BLACK, 1, cv2.LINE_AA)


def _encode_png(picture: np.ndarray) -> bytes:
    # No row filter and run-length matching suit pictures of flat areas and
    # maps: half the time of OpenCV's default settings, and smaller files.
    # (Older OpenCV versions have no filter option; they choose their own.)
    options = [cv2.IMWRITE_PNG_COMPRESSION, 6, cv2.IMWRITE_PNG_STRATEGY,
               cv2.IMWRITE_PNG_STRATEGY_RLE]
    if hasattr(cv2, "IMWRITE_PNG_FILTER"):
        options += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE]
    ok, data = cv2.imencode(".png", picture, options)
    if not ok:
        raise ValueError("OpenCV could not encode the picture as PNG")
    return data.tobytes()


def write_outputs(
    maps: dict[str, np.ndarray], titles: Sequence[str], out_dir: Path, *, save_arrays: bool = False
) -> list[Path]:
    """Draw the maps of :func:`compute_maps` and write the files.

    Parameters
    ----------
    maps : dict of str to numpy.ndarray
        What :func:`compute_maps` returns.
    titles : sequence of str
        One per filter.
    out_dir : pathlib.Path
        An existing folder.
    save_arrays : bool
        Also write :data:`ARRAYS_NAME`, the arrays of ``maps``.

    Returns
    -------
    list of pathlib.Path
        The files written, in order.

    Raises
    ------
    OSError
        If a file cannot be written; its ``filename`` is the file's path.
    """
    height, width = (int(v) for v in maps["full_size"])
    size_note = f" ({height} x {width})"
    # The pictures draw exactly the arrays that maps.npz holds.
    pictures = {
        "filters.png": lambda: _draw_filters(maps["filters"], titles),
        "feature_maps.png": lambda: _draw_maps(
            maps["feature_maps"], [t + size_note for t in titles], symmetric=True),
        "activated_maps.png": lambda: _draw_maps(
            maps["activated_maps"], [f"ReLU({t})" for t in titles], symmetric=False),
    }
    written = []
    for name, draw in pictures.items():
        path = out_dir / name
        _write(path, lambda: path.write_bytes(_encode_png(draw())))
        written.append(path)
    if save_arrays:
        path = out_dir / ARRAYS_NAME
        with_arrays = {key: maps[key] for key in ARRAY_KEYS}
        # Uncompressed: zlib would take ten times as long to save a quarter.
        _write(path, np.savez, path, **with_arrays)
        written.append(path)
    return written


def _write(path: Path, write, *args, **kwargs) -> None:
    # Call write(*args, **kwargs); a failure to write (an OSError, or the
    # ValueError or RuntimeError a writer may raise) becomes an OSError
    # that names the file, so that main reports it in one line.
    try:
        write(*args, **kwargs)
    except OSError as error:
        raise OSError(error.errno, error.strerror or str(error), str(path)) from error
    except (ValueError, RuntimeError) as error:
        raise OSError(None, str(error), str(path)) from error


def make_figures(
    photo: Path, filter_set_name: str, out_dir: Path, *, save_arrays: bool = False
) -> list[Path]:
    """Compute the maps of ``photo`` and write the three PNG files.

    Parameters
    ----------
    photo : pathlib.Path
        The image file.
    filter_set_name : str
        One of :data:`convbook.FILTER_SETS`.
    out_dir : pathlib.Path
        An existing, writable folder.
    save_arrays : bool
        Also write :data:`ARRAYS_NAME`.

    Returns
    -------
    list of pathlib.Path
        The files written: ``filters.png``, ``feature_maps.png``,
        ``activated_maps.png`` (and ``maps.npz``).

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`convbook.load_grayscale` raises them, for a missing or
        undecodable photo; ``ValueError`` also for an unknown filter set or
        a photo smaller than the filters.
    OSError
        If a file cannot be written.
    """
    from .kernels import filter_set

    filters, titles = filter_set(filter_set_name)
    maps = compute_maps(_load_photo(photo), filters)
    return write_outputs(maps, titles, out_dir, save_arrays=save_arrays)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 2 for a problem with the input or the output folder.
    """
    from .kernels import filter_set

    parser = build_parser()
    args = parser.parse_args(argv)
    photo: Path = args.photo
    out_dir: Path = args.out

    def fail(message: str) -> int:
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return 2

    # The photo: every way it can be wrong gets its own one-line answer.
    if photo.is_dir():
        return fail(f"{photo} is a folder, not a photo: give the path of an image file")
    if not photo.is_file():
        return fail(f"no photo at {photo}: give the path of an existing image file")
    try:
        if photo.stat().st_size == 0:
            return fail(f"{photo} is empty (0 bytes): give a JPEG, PNG or other image file")
        image = _load_photo(photo)
    except FileNotFoundError:
        return fail(f"no photo at {photo}: give the path of an existing image file")
    except (ValueError, cv2.error):
        return fail(f"cannot read {photo} as an image: give a JPEG, PNG or other "
                    "file that OpenCV can decode")
    except OSError as error:
        return fail(f"cannot read {photo} ({error.strerror or error}): "
                    "give a photo you may read")
    filters, titles = filter_set(args.filters)
    height, width = image.shape
    k_height, k_width = filters.shape[1:]
    if k_height > height or k_width > width:
        return fail(f"{photo} is {height}x{width} pixels, smaller than the {k_height}x"
                    f"{k_width} filters of the {args.filters!r} set: give a photo of at "
                    f"least {k_height}x{k_width} pixels")

    # The output folder, then the maps, then the files.
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return fail(f"cannot create the output folder {out_dir} ({error.strerror}): "
                    "choose another --out DIR")
    if not os.access(out_dir, os.W_OK | os.X_OK):
        return fail(f"cannot write to the output folder {out_dir}: choose another --out DIR")
    try:
        maps = compute_maps(image, filters)
    except MemoryError:
        return fail(f"{photo} ({height}x{width} pixels) is too large for the memory "
                    "available: give a smaller photo")
    try:
        written = write_outputs(maps, titles, out_dir, save_arrays=args.save_arrays)
    except OSError as error:
        return fail(f"cannot write {error.filename} ({error.strerror}): "
                    "choose another --out DIR")
    print(f"Wrote {len(written)} files for {photo} with the {args.filters!r} filters:")
    for path in written:
        print(f"  {path}")
    return 0
