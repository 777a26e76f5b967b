"""convbook: the shared code of the executable textbook on the convolutional layer.

Chapters import everything from here::

    from convbook import load_grayscale, sample_image_path, edge_filters, Net

Importing the package changes no global matplotlib or torch state; call
:func:`convbook.use_book_style` explicitly for the book's rcParams.
"""

from .filters import edge_filters
from .images import load_grayscale, sample_image_path
from .model import Net, feature_maps
from .plotting import (
    BOOK_STYLE,
    plot_feature_maps,
    plot_filters,
    plot_image,
    plot_patch_product,
    plot_pixel_values,
    use_book_style,
)

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
]

__version__ = "0.1.0"
