"""convbook: the shared code of the executable textbook on the convolutional layer.

Chapters import everything from here::

    from convbook import load_grayscale, sample_image_path, edge_filters, Net

Importing the package changes no global matplotlib or torch state; call
:func:`convbook.use_book_style` explicitly for the book's rcParams.
"""

from .filters import edge_filters
from .images import load_grayscale, sample_image_path
from .plotting import (
    BOOK_STYLE,
    plot_feature_maps,
    plot_filters,
    plot_image,
    plot_patch_product,
    plot_pixel_values,
    use_book_style,
)
from .colour import (
    channel_contributions,
    colour_feature_maps,
    load_colour,
    plot_colour_image,
    pointwise_conv,
)
from .correlation import convolve2d_loop, correlate2d_fast, correlate2d_loop, flip_kernel
from .kernels import FILTER_SETS, classic_kernels, compose_kernels, filter_set
from .learning import TrainingResult, plot_loss_curve, train_filters
from .padding import conv_output_size, plot_maps_to_scale, same_padding, strided_feature_map
from .pooling import avg_pool, max_pool, pool_output_shape

__all__ = [
    "sample_image_path",
    "load_grayscale",
    "edge_filters",
    "Net",
    "feature_maps",
    "BOOK_STYLE",
    "use_book_style",
    "plot_image",
    "plot_pixel_values",
    "plot_filters",
    "plot_feature_maps",
    "plot_patch_product",
    # Beyond the lesson
    "correlate2d_loop",
    "convolve2d_loop",
    "correlate2d_fast",
    "flip_kernel",
    "conv_output_size",
    "same_padding",
    "strided_feature_map",
    "plot_maps_to_scale",
    "load_colour",
    "channel_contributions",
    "colour_feature_maps",
    "pointwise_conv",
    "plot_colour_image",
    "max_pool",
    "avg_pool",
    "pool_output_shape",
    "TrainingResult",
    "train_filters",
    "plot_loss_curve",
    "classic_kernels",
    "compose_kernels",
    "filter_set",
    "FILTER_SETS",
]

__version__ = "0.1.0"


def __getattr__(name: str):
    # Net and feature_maps need PyTorch, which takes a second or more to
    # import; they load on first use (PEP 562), so that `python -m convbook`
    # and the torch-free helpers start quickly.
    if name in ("Net", "feature_maps"):
        from . import model

        value = getattr(model, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"Net", "feature_maps"})
