"""The command line: the lesson's figures for your own photo.

``python -m convbook PHOTO [--filters lesson|sobel|blur|laplacian] [--out DIR]
[--save-arrays]`` writes three PNG files -- the filters, the feature maps and
the activated (ReLU) maps -- and prints their paths; with ``--save-arrays``
also ``maps.npz``, the feature maps at full size.

The maps are computed at the photo's full size, as
:func:`convbook.correlate2d_fast` computes them (``cv2.filter2D`` on
float32: the same numbers as the lesson's ``nn.Conv2d``, without the cost
of importing PyTorch); without ``--save-arrays`` one at a time, in one
buffer. The pictures are the book's figures, drawn by
:func:`convbook.plot_filters` and :func:`convbook.plot_feature_maps` with
the book's style (matplotlib's Agg backend, no pyplot). Maps larger than
:data:`DISPLAY_SIZE` on a side are shrunk by block means before they are
drawn, for speed only: the colours stand for the full-size maps' values.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from .kernels import FILTER_SETS

__all__ = ["main", "build_parser", "make_figures", "compute_maps", "write_outputs",
           "display_size"]

#: The most values a map hands to matplotlib on either side; larger maps are
#: shrunk by block means, for drawing only. The book draws its photo's
#: 637 x 424 maps whole (matplotlib then samples them into the panels), so
#: the command line draws that photo exactly as the book does.
DISPLAY_SIZE = 640
#: The file ``--save-arrays`` writes.
ARRAYS_NAME = "maps.npz"
#: The arrays in :data:`ARRAYS_NAME`.
ARRAY_KEYS = ("filters", "feature_maps")

DESCRIPTION = """\
Run the lesson's convolutional layer on your own photo.

The photo is loaded as grayscale in [0, 1], every filter of the chosen set is
slid over it (a valid cross-correlation, as torch.nn.Conv2d computes it), and
ReLU is applied. Three PNG files are written to the output folder, drawn as
the book draws its figures:

  filters.png         the filters, each weight written on its cell
  feature_maps.png    one feature map per filter, before activation, all in
                      one colour scale centred on zero (red positive, blue
                      negative), with a colour bar
  activated_maps.png  the same maps after ReLU, each in gray from its own
                      smallest value (black) to its largest (white)

With --save-arrays, also maps.npz (load it with numpy.load): the maps at
full size, the numbers torch.nn.Conv2d returns for the photo as one
1 x H x W image (H rows and W columns of pixels; n filters of kh x kw):
  filters       (n, kh, kw)                  float32  the filters
  feature_maps  (n, H - kh + 1, W - kw + 1)  float32  the maps before ReLU
The book's photo, 640 pixels wide and 427 high, gives feature_maps of shape
(4, 424, 637) with the lesson's filters; a 12-megapixel photo, 4000 x 3000,
gives (4, 2997, 3997): 48 MB a map. The maps after ReLU are
numpy.maximum(feature_maps, 0).

The colours stand for the full-size maps' values: the colour bar runs from
-m to m, m the largest absolute value of all the full-size maps, and each
activated map's gray from its full-size smallest value to its largest. A
map larger than %d values on a side is shrunk before it is drawn, for
speed only: each drawn value is then the mean of an f x f block of the
map, f the smallest whole number that brings both sides within %d (the
blocks along the right and bottom edges may be narrower).
""" % (DISPLAY_SIZE, DISPLAY_SIZE)

EPILOG = """\
filter sets:
  lesson     the lesson's four 4x4 edge filters (default)
  sobel      Sobel x and y and their negations (3x3)
  blur       the 3x3 box blur
  laplacian  the Laplacian and its negation (3x3)

exit status: 0 on success; 2, with a one-line message on standard error, for
a missing, empty or unreadable photo, a photo smaller than the filters, an
unknown filter set, an --out DIR that is a file, or an output folder or file
that cannot be written.

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
                        help=f"also write {ARRAYS_NAME}: the filters and the feature maps "
                             "at full size, float32, as torch.nn.Conv2d returns them (see above)")
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
    """The size a map is drawn at: at most ``max_size`` values on either side.

    A larger map is shrunk by a whole factor ``f``, the smallest that brings
    both sides within ``max_size``: each drawn value is the mean of an
    ``f x f`` block (narrower along the right and bottom edges). Only the
    pictures are shrunk; ``maps.npz`` holds the maps at full size.

    Parameters
    ----------
    height, width : int
        The map's size.
    max_size : int
        The most values drawn on either side.

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
    """The layer's numbers for ``image``: the filters and the full-size feature maps.

    The maps are :func:`convbook.correlate2d_fast`'s: ``cv2.filter2D`` on
    float32, the numbers ``nn.Conv2d`` gives for the image as one
    ``1 x H x W`` input, without importing PyTorch.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A grayscale image.
    filters : array_like, shape (n, kh, kw) or (kh, kw)
        The kernels.

    Returns
    -------
    dict of str to numpy.ndarray
        ``"filters"``, shape (n, kh, kw), float32; ``"feature_maps"``, shape
        (n, H - kh + 1, W - kw + 1), float32, before activation.

    Raises
    ------
    ValueError
        For bad input, as :func:`convbook.correlate2d_fast` says: an image
        that is not 2-D, filters that are not 2-D kernels, a kernel larger
        than the image, NaN or infinite values.
    """
    from ._validation import as_filters
    from .correlation import correlate2d_fast

    filters = as_filters(filters)
    return {"filters": filters, "feature_maps": correlate2d_fast(image, filters)}


def _maps_to_draw(filters: np.ndarray, map_of, map_shape: tuple[int, int]) -> dict[str, object]:
    """What the two map figures draw: the maps and their ReLU, with colour limits.

    ``map_of(k)`` returns filter ``k``'s full-size map, of shape
    ``map_shape``, float32, which this function overwrites (with its ReLU);
    it need only stay valid until the next call, so that one buffer can
    hold each map in turn. The arrays returned are at :func:`display_size`
    (block means of the full-size maps and of their ReLU); the limits are
    the full-size maps' smallest and largest values, one ``(low, high)`` per
    map, so that a colour means the same number however much a map was
    shrunk.

    The map of a filter that is the negation of an earlier one (the lesson's
    filters 2 and 4, the other sets' negations) is the earlier map negated,
    so its limits and block means are taken from that map's, without
    computing it: a 12-megapixel photo's maps hold 48 MB each.
    """
    count = len(filters)
    height, width = map_shape
    factor = _shrink_factor(height, width)
    shown = np.empty((count, *display_size(height, width)), dtype=np.float32)
    activated = np.empty_like(shown)
    limits = []
    for k in range(count):
        twin = next((j for j in range(k) if np.array_equal(filters[j], -filters[k])), None)
        if twin is None:
            full_map = map_of(k)
            low, high, _, _ = cv2.minMaxLoc(full_map)
            shown[k] = _block_means(full_map, factor)
            activated[k] = _block_means(np.maximum(full_map, 0, out=full_map), factor)
        else:  # ReLU(-x) = ReLU(x) - x, block by block
            low, high = -limits[twin][1], -limits[twin][0]
            np.negative(shown[twin], out=shown[k])
            np.subtract(activated[twin], shown[twin], out=activated[k])
            np.maximum(activated[k], 0, out=activated[k])  # float32 rounding
        limits.append((low, high))
    return {
        "feature_maps": shown,
        "feature_limits": limits,
        "activated_maps": activated,
        # ReLU's smallest and largest values: the map's, those below 0 raised to 0.
        "activated_limits": [(max(low, 0.0), max(high, 0.0)) for low, high in limits],
        "full_size": (height, width),
    }


def _figures(filters: np.ndarray, drawn: dict[str, object], titles: Sequence[str]):
    """Yield ``(file name, figure)`` for the three pictures, drawn by the book's code.

    ``drawn`` is what :func:`_maps_to_draw` returns.
    """
    from .plotting import plot_feature_maps, plot_filters

    height, width = drawn["full_size"]
    size_note = f" ({height} x {width})"
    # The filters as the book draws the lesson's (fig-filters), the maps as
    # it draws them before (fig-maps-diverging) and after ReLU.
    yield "filters.png", plot_filters(filters, titles, panel_size=1.7)
    yield "feature_maps.png", plot_feature_maps(
        drawn["feature_maps"], [t + size_note for t in titles], ncols=2, cmap="RdBu_r",
        symmetric=True, colorbar=True, limits=drawn["feature_limits"])
    yield "activated_maps.png", plot_feature_maps(
        drawn["activated_maps"], [f"ReLU({t})" for t in titles], ncols=2,
        limits=drawn["activated_limits"])


def _png_bytes(figure) -> bytes:
    """Render ``figure`` with matplotlib's Agg backend; return it as PNG.

    The rendering is the one ``figure.savefig`` makes at the figure's dpi
    (the book's 100); OpenCV encodes it, opaque (the figures' white face),
    with no row filter and run-length matching: a tenth of the time of
    matplotlib's PNG writer (Pillow), for files within a fifth of its size.
    (Older OpenCV versions have no filter option; they choose their own.)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    picture = cv2.cvtColor(np.asarray(canvas.buffer_rgba()), cv2.COLOR_RGBA2BGR)
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
        Also write :data:`ARRAYS_NAME`: the arrays of ``maps``, at full size.

    Returns
    -------
    list of pathlib.Path
        The files written, in order.

    Raises
    ------
    OSError
        If a file cannot be written; its ``filename`` is the file's path.
    """
    feature_maps = maps["feature_maps"]
    # A copy of each map in turn: _maps_to_draw overwrites it with its ReLU.
    drawn = _maps_to_draw(maps["filters"], lambda k: np.array(feature_maps[k]),
                          feature_maps.shape[1:])
    written = _write_pictures(maps["filters"], drawn, titles, out_dir)
    if save_arrays:
        path = out_dir / ARRAYS_NAME
        # Uncompressed: zlib would take ten times as long to save a quarter.
        _write(path, np.savez, path, **{key: maps[key] for key in ARRAY_KEYS})
        written.append(path)
    return written


def _write_pictures(filters: np.ndarray, drawn: dict[str, object], titles: Sequence[str],
                    out_dir: Path) -> list[Path]:
    """Write the three PNG files of :func:`_figures`; return their paths."""
    import matplotlib

    from .plotting import BOOK_STYLE

    written = []
    # The book's rcParams (as its chapters set them), for these figures only.
    with matplotlib.rc_context(BOOK_STYLE):
        for name, figure in _figures(filters, drawn, titles):
            path = out_dir / name
            _write(path, lambda: path.write_bytes(_png_bytes(figure)))
            written.append(path)
    return written


def _write_pictures_of(image: np.ndarray, filters: np.ndarray, titles: Sequence[str],
                       out_dir: Path) -> list[Path]:
    """:func:`write_outputs` without ``maps.npz``, from the photo itself.

    Each full-size map is computed in turn into one buffer, drawn from, and
    overwritten by the next: for a 12-megapixel photo, 48 MB of maps in
    memory instead of 48 MB a filter (the time to claim that much memory
    from the system is a good part of the run). The numbers are those of
    :func:`compute_maps` (:func:`convbook.correlate2d_fast`, filter by filter).
    """
    from .correlation import _correlate_valid_into

    k_height, k_width = filters.shape[1:]
    full = np.empty(image.shape, dtype=np.float32)
    drawn = _maps_to_draw(filters, lambda k: _correlate_valid_into(full, image, filters[k]),
                          (image.shape[0] - k_height + 1, image.shape[1] - k_width + 1))
    return _write_pictures(filters, drawn, titles, out_dir)


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


def _file_in_the_way(folder: Path) -> Path | None:
    """``folder`` or the first of its parents that exists and is not a folder, if any."""
    for path in (folder, *folder.parents):
        try:
            if path.exists():
                return None if path.is_dir() else path
        except OSError:  # cannot look: mkdir will say what is wrong
            return None
    return None


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
    parser = build_parser()
    args = parser.parse_args(argv)

    def fail(message: str) -> int:
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return 2

    with contextlib.ExitStack() as background:
        return _run(args, fail, background)


def _import_plotting() -> None:
    # What write_outputs imports; an error shows there, in the main thread.
    try:
        from matplotlib.backends import backend_agg  # noqa: F401

        from . import plotting  # noqa: F401
    except Exception:  # whatever it is, write_outputs' own import reports it
        pass


@contextlib.contextmanager
def _importing_plotting():
    """Import matplotlib and the book's plotting in a second thread, meanwhile.

    The import takes about a third of a second of Python; the photo's
    decoding and the correlations run in OpenCV, which does not hold
    Python's lock, so on a second core the two overlap. The thread is
    waited for on the way out, so the interpreter never exits mid-import.
    """
    thread = threading.Thread(target=_import_plotting, name="import plotting", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _run(args: argparse.Namespace, fail, background: contextlib.ExitStack) -> int:
    """The body of :func:`main`: check the input, compute, write; ``fail`` reports."""
    from .kernels import filter_set

    photo: Path = args.photo
    out_dir: Path = args.out

    # The photo: every way it can be wrong gets its own one-line answer.
    if photo.is_dir():
        return fail(f"{photo} is a folder, not a photo: give the path of an image file")
    if not photo.is_file():
        return fail(f"no photo at {photo}: give the path of an existing image file")
    try:
        if photo.stat().st_size == 0:
            return fail(f"{photo} is empty (0 bytes): give a JPEG, PNG or other image file")
        background.enter_context(_importing_plotting())
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
    in_the_way = _file_in_the_way(out_dir)
    if in_the_way == out_dir:
        return fail(f"{out_dir} is a file, not a folder: choose another --out DIR")
    if in_the_way is not None:
        return fail(f"cannot create the output folder {out_dir}: {in_the_way} is a file, "
                    "not a folder: choose another --out DIR")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return fail(f"cannot create the output folder {out_dir} ({error.strerror}): "
                    "choose another --out DIR")
    if not os.access(out_dir, os.W_OK | os.X_OK):
        return fail(f"cannot write to the output folder {out_dir}: choose another --out DIR")
    try:
        if args.save_arrays:
            written = write_outputs(compute_maps(image, filters), titles, out_dir,
                                    save_arrays=True)
        else:
            written = _write_pictures_of(image, filters, titles, out_dir)
    except MemoryError:
        return fail(f"{photo} ({height}x{width} pixels) is too large for the memory "
                    "available: give a smaller photo")
    except OSError as error:
        return fail(f"cannot write {error.filename} ({error.strerror}): "
                    "choose another --out DIR")
    print(f"Wrote {len(written)} files for {photo} with the {args.filters!r} filters:")
    for path in written:
        print(f"  {path}")
    return 0
