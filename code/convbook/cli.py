"""The command line: the lesson's figures for your own photo.

``python -m convbook PHOTO [--filters lesson|sobel|blur|laplacian] [--out DIR]``
writes three PNG files -- the filters, the feature maps and the activated
(ReLU) maps -- and prints their paths. The maps are computed at the photo's
full size with :func:`convbook.correlate2d_fast` (the same numbers as the
lesson's ``nn.Conv2d``, without the cost of importing PyTorch) and
downsampled only to draw them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .kernels import FILTER_SETS

__all__ = ["main", "build_parser", "make_figures", "display_size"]

#: The widest a map is drawn, in pixels; larger maps are shrunk for display only.
DISPLAY_WIDTH = 400
#: Width of one map's panel in inches: at 100 dpi, one display pixel per figure pixel.
PANEL_WIDTH = DISPLAY_WIDTH / 100

DESCRIPTION = """\
Run the lesson's convolutional layer on your own photo.

The photo is loaded as grayscale in [0, 1], every filter of the chosen set is
slid over it (a valid cross-correlation, as torch.nn.Conv2d computes it), and
ReLU is applied. Three PNG files are written to the output folder:

  filters.png         the filters, each weight written on its cell
  feature_maps.png    one feature map per filter, before activation
  activated_maps.png  the same maps after ReLU

The maps are computed at the photo's full size; only the pictures are
shrunk (to at most %d pixels wide per map).
""" % DISPLAY_WIDTH

EPILOG = """\
filter sets:
  lesson     the lesson's four 4x4 edge filters (default)
  sobel      Sobel x and y and their negations (3x3)
  blur       the 3x3 box blur
  laplacian  the Laplacian and its negation (3x3)

exit status: 0 on success; 2 for a missing or unreadable photo, an unknown
filter set or an output folder that cannot be written.

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


def make_figures(photo: Path, filter_set_name: str, out_dir: Path) -> list[Path]:
    """Compute the maps of ``photo`` and write the three PNG files.

    Parameters
    ----------
    photo : pathlib.Path
        The image file.
    filter_set_name : str
        One of :data:`convbook.FILTER_SETS`.
    out_dir : pathlib.Path
        An existing, writable folder.

    Returns
    -------
    list of pathlib.Path
        The files written: ``filters.png``, ``feature_maps.png``,
        ``activated_maps.png``.

    Raises
    ------
    FileNotFoundError, ValueError
        From :func:`convbook.load_grayscale` for a missing or undecodable
        photo; ``ValueError`` also for an unknown filter set.
    OSError
        If a file cannot be written.
    """
    from .correlation import correlate2d_fast
    from .images import load_grayscale
    from .kernels import filter_set
    from .plotting import plot_feature_maps, plot_filters

    filters, titles = filter_set(filter_set_name)
    image = load_grayscale(photo)
    shown_conv, shown_activated = [], []
    for kernel in filters:
        # One full-size map at a time: a 12-megapixel photo gives 48 MB per map.
        conv = correlate2d_fast(image, kernel)[0]
        shown_conv.append(_shrink(conv))
        activated = np.maximum(conv, 0.0, out=conv)  # ReLU at full size, in place
        shown_activated.append(_shrink(activated))
    height, width = conv.shape
    size_note = f" ({height} x {width})"
    ncols = min(len(titles), 2)
    figures = {
        "filters.png": plot_filters(filters, titles),
        "feature_maps.png": plot_feature_maps(
            np.stack(shown_conv), [t + size_note for t in titles], cmap="RdBu_r",
            symmetric=True, colorbar=True, ncols=ncols, panel_width=PANEL_WIDTH),
        "activated_maps.png": plot_feature_maps(
            np.stack(shown_activated), [f"ReLU({t})" for t in titles], ncols=ncols,
            panel_width=PANEL_WIDTH),
    }
    written = []
    for name, fig in figures.items():
        path = out_dir / name
        fig.savefig(path)
        written.append(path)
    return written


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
    photo: Path = args.photo
    out_dir: Path = args.out

    def fail(message: str) -> int:
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return 2

    if not photo.is_file():
        return fail(f"no photo at {photo}: give the path of an existing image file")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return fail(f"cannot create the output folder {out_dir} ({error.strerror}): "
                    "choose another --out DIR")
    if not os.access(out_dir, os.W_OK | os.X_OK):
        return fail(f"cannot write to the output folder {out_dir}: choose another --out DIR")
    try:
        written = make_figures(photo, args.filters, out_dir)
    except FileNotFoundError:
        return fail(f"no photo at {photo}: give the path of an existing image file")
    except ValueError as error:
        if "decode" in str(error):
            return fail(f"cannot read {photo} as an image: give a JPEG, PNG or other "
                        "file that OpenCV can decode")
        return fail(str(error))
    except OSError as error:
        return fail(f"cannot write to the output folder {out_dir} ({error.strerror}): "
                    "choose another --out DIR")
    print(f"Wrote {len(written)} files for {photo} with the {args.filters!r} filters:")
    for path in written:
        print(f"  {path}")
    return 0
