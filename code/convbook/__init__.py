"""convbook: the shared code of the executable textbook on the convolutional layer.

Chapters import everything from here::

    from convbook import load_grayscale, sample_image_path, edge_filters, Net

Importing the package changes no global matplotlib or torch state; call
:func:`convbook.use_book_style` explicitly for the book's rcParams.
"""

import importlib

#: Where each exported name lives. Nothing is imported until it is used
#: (PEP 562's module ``__getattr__`` below): ``from convbook import X``
#: imports only X's module, so that ``python -m convbook`` and the light
#: helpers start without matplotlib or PyTorch (each takes a second or so).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "filters": ("edge_filters",),
    "images": ("load_grayscale", "sample_image_path"),
    "model": ("Net", "feature_maps"),
    "plotting": ("BOOK_STYLE", "plot_feature_maps", "plot_filters", "plot_image",
                 "plot_patch_product", "plot_pixel_values", "use_book_style"),
    "colour": ("channel_contributions", "colour_feature_maps", "load_colour",
               "plot_colour_image", "pointwise_conv"),
    "correlation": ("convolve2d_loop", "correlate2d_fast", "correlate2d_loop", "flip_kernel"),
    "kernels": ("FILTER_SETS", "classic_kernels", "compose_kernels", "filter_set"),
    "learning": ("TrainingResult", "convergence_factors", "loss_hessian",
                 "plot_error_by_curvature", "plot_kernel_grid", "plot_loss_curve",
                 "train_filters"),
    "padding": ("conv_output_size", "kernel_starts", "plot_maps_to_scale", "same_padding",
                "strided_feature_map", "unused_inputs"),
    "pooling": ("avg_pool", "max_pool", "pool_output_shape"),
    "conv_matmul": ("conv2d_matmul", "im2col", "plot_patch_matrix"),
    "variants": ("fft_correlate2d", "fft_operation_count", "implicit_gemm_conv2d",
                 "plot_crossover", "plot_layer_costs", "separable_kernel", "winograd_f23"),
    "digits": ("DigitSplit", "DigitTrainingResult", "adam_step", "compass_kernels",
               "edge_alignment", "load_digit_split", "make_digit_cnn", "match_filters", "plot_digit_maps",
               "plot_digits", "plot_filter_grid", "predict_digits", "train_digit_cnn"),
    "receptive": ("ConvSpec", "FieldRow", "conv_stack", "dilate_kernel", "dilated_output_size",
                  "nonzero_box", "plot_effective_receptive_field", "plot_receptive_fields",
                  "receptive_field_size", "receptive_field_table", "unit_input_gradient"),
    "gradients": ("conv_input_gradient", "conv_weight_gradient", "max_pool_gradient",
                  "plot_value_grids"),
    "equivariance": ("conv_as_matrix", "conv_parameter_count", "dense_parameter_count",
                     "plot_shift_equivariance", "plot_sliding_window", "shift_image"),
    "stacking": ("fit_single_kernel", "plot_kernel_composition"),
    "descent": ("descent_path", "plot_descent"),
    "cost": ("activation_bytes", "conv_flops"),
    "layer_matrix": ("col2im", "conv2d_backward_matmul", "plot_conv_arithmetic"),
    "deeper": ("DeeperTrainingResult", "LayerRow", "LeNetDigits", "layer_table", "top_activating",
               "train_deeper_cnn"),
    "practice": ("activation_scales", "batch_norm", "plot_curves"),
    "lab": ("digit_from_ink", "ink_from_canvas", "ink_from_photo", "lab_export"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

#: Every exported name, from the one table above.
__all__ = list(_MODULE_OF)

__version__ = "0.1.0"


def __getattr__(name: str):
    # PEP 562: called only for a name not yet in this module's namespace.
    # An exported name imports its module once and is then cached here; a
    # submodule's name (convbook.plotting) imports it, as the eager
    # package did.
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)
        globals()[name] = value
        return value
    if not name.startswith("__"):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise  # the submodule exists but needs a missing package
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))
