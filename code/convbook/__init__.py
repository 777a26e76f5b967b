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
from .learning import (
    TrainingResult,
    convergence_factors,
    loss_hessian,
    plot_error_by_curvature,
    plot_kernel_grid,
    plot_loss_curve,
    train_filters,
)
from .padding import (
    conv_output_size,
    kernel_starts,
    plot_maps_to_scale,
    same_padding,
    strided_feature_map,
    unused_inputs,
)
from .pooling import avg_pool, max_pool, pool_output_shape
from .conv_matmul import conv2d_matmul, im2col, plot_patch_matrix
from .digits import (
    DigitSplit,
    DigitTrainingResult,
    adam_step,
    compass_kernels,
    edge_alignment,
    load_digit_split,
    make_digit_cnn,
    plot_digit_maps,
    plot_digits,
    plot_filter_grid,
    predict_digits,
    train_digit_cnn,
)
from .receptive import (
    ConvSpec,
    FieldRow,
    conv_stack,
    dilate_kernel,
    dilated_output_size,
    nonzero_box,
    plot_effective_receptive_field,
    plot_receptive_fields,
    receptive_field_size,
    receptive_field_table,
    unit_input_gradient,
)
from .gradients import conv_input_gradient, conv_weight_gradient, max_pool_gradient, plot_value_grids
from .equivariance import (
    conv_as_matrix,
    conv_parameter_count,
    dense_parameter_count,
    plot_shift_equivariance,
    plot_sliding_window,
    shift_image,
)
from .stacking import fit_single_kernel, plot_kernel_composition

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
    "kernel_starts",
    "unused_inputs",
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
    "im2col",
    "conv2d_matmul",
    "plot_patch_matrix",
    "DigitSplit",
    "DigitTrainingResult",
    "load_digit_split",
    "make_digit_cnn",
    "train_digit_cnn",
    "predict_digits",
    "adam_step",
    "compass_kernels",
    "edge_alignment",
    "plot_digits",
    "plot_filter_grid",
    "plot_digit_maps",
    "ConvSpec",
    "FieldRow",
    "receptive_field_table",
    "receptive_field_size",
    "dilated_output_size",
    "dilate_kernel",
    "conv_stack",
    "unit_input_gradient",
    "nonzero_box",
    "plot_receptive_fields",
    "plot_effective_receptive_field",
    "conv_input_gradient",
    "conv_weight_gradient",
    "max_pool_gradient",
    "plot_value_grids",
    "shift_image",
    "conv_as_matrix",
    "conv_parameter_count",
    "dense_parameter_count",
    "plot_sliding_window",
    "plot_shift_equivariance",
    "fit_single_kernel",
    "plot_kernel_composition",
    "TrainingResult",
    "train_filters",
    "plot_loss_curve",
    "loss_hessian",
    "convergence_factors",
    "plot_kernel_grid",
    "plot_error_by_curvature",
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
