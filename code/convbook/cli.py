"""The command line: the lesson's figures for your own photo.

``python -m convbook PHOTO [--filters lesson|sobel|blur|laplacian] [--out DIR]
[--save-arrays]`` writes three PNG files -- the filters, the feature maps and
the activated (ReLU) maps -- and prints their paths; with ``--save-arrays``
also ``maps.npz``, the numbers the pictures show. The maps are computed at
the photo's full size with :func:`convbook.correlate2d_fast` (the same
numbers as the lesson's ``nn.Conv2d``, without the cost of importing
PyTorch) and downsampled only to draw them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .kernels import FILTER_SETS

__all__ = ["main", "build_parser", "make_figures", "compute_maps", "write_outputs",
           "display_size"]

#: The widest a map is drawn, in pixels; larger maps are shrunk for display only.
DISPLAY_WIDTH = 400
#: Width of one map's panel in inches: at 100 dpi, one display pixel per figure pixel.
PANEL_WIDTH = DISPLAY_WIDTH / 100
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
  feature_maps.png    one feature map per filter, before activation
  activated_maps.png  the same maps after ReLU

With --save-arrays, also maps.npz (load it with numpy.load): the numbers the
pictures show, as arrays
  filters         (n, kh, kw)  float32  the filters
  feature_maps    (n, h, w)    float32  the maps before activation
  activated_maps  (n, h, w)    float32  the maps after ReLU
  full_size       (2,)         int      the maps' full height and width

The maps are computed at the photo's full size; only the pictures (and the
arrays in maps.npz) are shrunk, to at most %d pixels wide per map.
""" % DISPLAY_WIDTH

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


def display_size(height: int, width: int, max_width: int = DISPLAY_WIDTH) -> tuple[int, int]:
    """The size a map is drawn at: at most ``max_width`` wide, same aspect.

    Parameters
    ----------
    height, width : int
        The map's size.
    max_width : int
        The largest width drawn.

    Returns
    -------
    tuple of int
        ``(height, width)`` of the drawn map, unchanged if already small.
    """
    if width <= max_width:
        return height, width
    return max(1, round(height * max_width / width)), max_width


def _shrink(one_map: np.ndarray) -> np.ndarray:
    import cv2

    height, width = one_map.shape
    new_h, new_w = display_size(height, width)
    if (new_h, new_w) == (height, width):
        return one_map
    # INTER_AREA averages the pixels each display pixel covers.
    return cv2.resize(one_map, (new_w, new_h), interpolation=cv2.INTER_AREA)


def compute_maps(image: np.ndarray, filters: np.ndarray) -> dict[str, np.ndarray]:
    """The feature maps and activated maps of ``image``, at display size.

    Each map is computed at full size, activated (ReLU) at full size, and
    only then shrunk with :func:`display_size` for drawing.

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
    from .correlation import correlate2d_fast

    image = as_image(image)
    filters = as_filters(filters)
    check_kernel_fits(image, filters.shape[1:])
    shown_conv, shown_activated = [], []
    for kernel in filters:
        # One full-size map at a time: a 12-megapixel photo gives 48 MB per map.
        conv = correlate2d_fast(image, kernel)[0]
        activated = np.maximum(conv, 0.0)  # ReLU at full size, a new array
        shown_conv.append(_shrink(conv))
        shown_activated.append(_shrink(activated))
    return {
        "filters": filters,
        "feature_maps": np.stack(shown_conv).astype(np.float32, copy=False),
        "activated_maps": np.stack(shown_activated).astype(np.float32, copy=False),
        "full_size": np.array(conv.shape),
    }


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
    from .plotting import plot_feature_maps, plot_filters

    height, width = (int(v) for v in maps["full_size"])
    size_note = f" ({height} x {width})"
    ncols = min(len(titles), 2)
    # The pictures draw exactly the arrays that maps.npz holds.
    figures = {
        "filters.png": plot_filters(maps["filters"], titles),
        "feature_maps.png": plot_feature_maps(
            maps["feature_maps"], [t + size_note for t in titles], cmap="RdBu_r",
            symmetric=True, colorbar=True, ncols=ncols, panel_width=PANEL_WIDTH),
        "activated_maps.png": plot_feature_maps(
            maps["activated_maps"], [f"ReLU({t})" for t in titles], ncols=ncols,
            panel_width=PANEL_WIDTH),
    }
    written = []
    for name, fig in figures.items():
        path = out_dir / name
        _write(path, fig.savefig, path, format="png")
        written.append(path)
    if save_arrays:
        path = out_dir / ARRAYS_NAME
        with_arrays = {key: maps[key] for key in ARRAY_KEYS}
        _write(path, np.savez_compressed, path, **with_arrays)
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
        From :func:`convbook.load_grayscale` for a missing or undecodable
        photo; ``ValueError`` also for an unknown filter set or a photo
        smaller than the filters.
    OSError
        If a file cannot be written.
    """
    from .images import load_grayscale
    from .kernels import filter_set

    filters, titles = filter_set(filter_set_name)
    maps = compute_maps(load_grayscale(photo), filters)
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
    import cv2

    from .images import load_grayscale
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
        image = load_grayscale(photo)
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
