"""Every public function refuses NaN and infinity in each of its array arguments.

``CASES`` lists each public callable that takes an array: valid arguments,
and the names of its array arguments. For every (function, array argument,
bad value) the test puts the bad value into that one argument, leaves the
others valid, and expects a ``ValueError`` whose message starts with the
argument's name and says that the values must be finite.

``TAKES_NO_ARRAY`` lists the public callables that take no array, with the
reason. A public callable in neither list fails
``test_every_public_callable_is_in_the_table``, whose message says what to add.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch

import convbook
import convbook.cli

#: The modules whose ``__all__`` is checked, with the prefix used in the table.
MODULES = {"": convbook, "cli.": convbook.cli}

RNG = np.random.default_rng(0)
IMAGE = RNG.random((9, 10))  # (H, W) in [0, 1]
KERNEL = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
COLOUR = RNG.random((3, 9, 10))  # (C, H, W)


@dataclass(frozen=True)
class Build:
    """An argument built when the test runs (a model, say), not on import."""

    make: object

    def __call__(self):
        return self.make()


@dataclass(frozen=True)
class Case:
    """One public callable: valid keyword arguments and its array arguments."""

    name: str
    arguments: dict = field(hash=False)
    array_arguments: tuple[str, ...]

    def function(self):
        return public_object(self.name)


CASES = [
    Case("feature_maps", dict(image=IMAGE, filters=convbook.edge_filters()), ("image", "filters")),
    Case("Net", dict(weight=torch.ones(2, 1, 3, 3)), ("weight",)),
    Case("plot_image", dict(image=IMAGE), ("image",)),
    Case("plot_pixel_values", dict(image=IMAGE, top=1, left=2, size=3), ("image",)),
    Case("plot_filters", dict(filters=KERNEL), ("filters",)),
    Case("plot_feature_maps", dict(maps=np.stack([IMAGE, -IMAGE]), limits=np.array([[-1.0, 1.0], [0.0, 2.0]])),
         ("maps", "limits")),
    Case("plot_patch_product", dict(patch=IMAGE[:3, :3], kernel=KERNEL), ("patch", "kernel")),
    Case("descent_path", dict(gradient=lambda w: 2 * w, start=np.array([1.0, -1.0]), learning_rate=0.1,
                              steps=3), ("start",)),
    Case("plot_descent", dict(loss=lambda w: w ** 2, derivative=lambda w: 2 * w, path=np.array([1.0, 0.5]),
                              tangent_at=0.5, limits=(-1.0, 1.5)), ("path",)),
    Case("correlate2d_loop", dict(image=IMAGE, kernel=KERNEL), ("image", "kernel")),
    Case("convolve2d_loop", dict(image=IMAGE, kernel=KERNEL), ("image", "kernel")),
    Case("correlate2d_fast", dict(image=IMAGE, filters=KERNEL), ("image", "filters")),
    Case("flip_kernel", dict(kernel=KERNEL), ("kernel",)),
    Case("strided_feature_map", dict(image=IMAGE, kernel=KERNEL, stride=2, padding=1),
         ("image", "kernel")),
    Case("plot_maps_to_scale", dict(maps=[IMAGE, IMAGE[::2, ::2]], titles=["a", "b"]), ("maps",)),
    Case("channel_contributions", dict(image=COLOUR, kernel=np.stack([KERNEL] * 3)),
         ("image", "kernel")),
    Case("colour_feature_maps", dict(image=COLOUR, weight=np.stack([np.stack([KERNEL] * 3)] * 2)),
         ("image", "weight")),
    Case("pointwise_conv", dict(image=COLOUR, weights=np.array([[0.3, 0.6, 0.1], [1, -1, 0]])),
         ("image", "weights")),
    Case("plot_colour_image", dict(image=COLOUR), ("image",)),
    Case("max_pool", dict(maps=np.stack([IMAGE, -IMAGE])), ("maps",)),
    Case("avg_pool", dict(maps=np.stack([IMAGE, -IMAGE])), ("maps",)),
    Case("train_filters", dict(image=IMAGE, target_filters=KERNEL, steps=1, snapshot_steps=(0, 1)),
         ("image", "target_filters")),
    Case("plot_loss_curve", dict(losses=np.array([3.0, 2.0, 1.0])), ("losses",)),
    Case("compose_kernels", dict(first=KERNEL, second=KERNEL[:2, :2]), ("first", "second")),
    Case("cli.compute_maps", dict(image=IMAGE, filters=np.stack([KERNEL, -KERNEL])),
         ("image", "filters")),
    # Functions of the newer chapters.
    Case("im2col", dict(image=IMAGE, kernel_size=3), ("image",)),
    Case("conv2d_matmul", dict(images=torch.from_numpy(IMAGE[None, None].astype(np.float32)),
                               weight=torch.ones(2, 1, 3, 3)), ("images", "weight")),
    Case("plot_patch_matrix", dict(image=IMAGE, kernel_size=3), ("image",)),
    Case("col2im", dict(columns=torch.ones(2, 18, 9), image_size=(5, 6), kernel_size=3,
                        stride=2, padding=1), ("columns",)),
    Case("conv2d_backward_matmul", dict(images=torch.ones(2, 3, 5, 6), weight=torch.ones(4, 3, 3, 3),
                                        grad_output=torch.ones(2, 4, 3, 3), stride=2, padding=1),
         ("images", "weight", "grad_output")),
    # The variants chapter.
    Case("separable_kernel", dict(depthwise=COLOUR[:, None, :3, :3], pointwise=np.ones((2, 3, 1, 1))),
         ("depthwise", "pointwise")),
    Case("fft_correlate2d", dict(image=IMAGE, kernel=KERNEL), ("image", "kernel")),
    Case("winograd_f23", dict(tile=IMAGE[:4, :4], kernel=KERNEL), ("tile", "kernel")),
    Case("implicit_gemm_conv2d", dict(images=torch.from_numpy(COLOUR[None].astype(np.float32)),
                                      weight=torch.ones(2, 3, 3, 3)), ("images", "weight")),
    Case("plot_layer_costs", dict(names=["a", "b"], parameters=np.array([1.0, 2.0]),
                                  operations=np.array([3.0, 4.0])), ("parameters", "operations")),
    Case("plot_crossover", dict(kernel_sizes=np.array([1.0, 2.0, 3.0]), direct=np.array([1.0, 4.0, 9.0]),
                                fft=np.array([5.0, 5.0, 5.0])), ("kernel_sizes", "direct", "fft")),
    Case("dilate_kernel", dict(kernel=KERNEL, dilation=2), ("kernel",)),
    Case("unit_input_gradient",
         dict(stack=Build(lambda: convbook.conv_stack([convbook.ConvSpec(3)])), image=IMAGE),
         ("image",)),
    Case("nonzero_box", dict(values=np.pad(KERNEL, 2)), ("values",)),
    Case("plot_effective_receptive_field", dict(gradient=IMAGE), ("gradient",)),
    Case("plot_receptive_fields", dict(image=IMAGE, gradients=[IMAGE, -IMAGE], titles=["a", "b"]),
         ("image", "gradients")),
    Case("conv_input_gradient", dict(grad_output=IMAGE[:7, :8], kernel=KERNEL),
         ("grad_output", "kernel")),
    Case("conv_weight_gradient", dict(image=IMAGE, grad_output=IMAGE[:7, :8]),
         ("image", "grad_output")),
    Case("max_pool_gradient", dict(maps=IMAGE[:8, :8], grad_output=IMAGE[:4, :4]),
         ("maps", "grad_output")),
    Case("plot_value_grids", dict(grids=[KERNEL, IMAGE[:4, :4]], titles=["a", "b"]), ("grids",)),
    Case("shift_image", dict(image=IMAGE, rows=1, cols=2), ("image",)),
    Case("conv_as_matrix", dict(kernel=KERNEL[:2, :2], input_shape=(4, 5)), ("kernel",)),
    Case("plot_sliding_window", dict(image=IMAGE[:5, :6], kernel=KERNEL), ("image", "kernel")),
    Case("plot_shift_equivariance", dict(image=IMAGE, kernel=KERNEL, rows=1, cols=2),
         ("image", "kernel")),
    Case("fit_single_kernel", dict(image=IMAGE, target=IMAGE[:7, :8], kernel_shape=(3, 3)),
         ("image", "target")),
    Case("plot_kernel_composition", dict(first=KERNEL, second=KERNEL[:2, :2],
                                         composed=convbook.compose_kernels(KERNEL, KERNEL[:2, :2])),
         ("first", "second", "composed")),
    Case("edge_alignment", dict(filters=np.stack([KERNEL, KERNEL.T])), ("filters",)),
    Case("predict_digits", dict(model=Build(lambda: convbook.make_digit_cnn()),
                                images=COLOUR[:, :8, :8]), ("images",)),
    Case("plot_filter_grid", dict(filters=np.stack([KERNEL, KERNEL.T])), ("filters",)),
    Case("plot_digit_maps", dict(digit=IMAGE[:8, :8], learned_maps=COLOUR[:, :6, :6],
                                 lesson_maps=COLOUR[:, :5, :5]),
         ("digit", "learned_maps", "lesson_maps")),
    Case("DigitSplit", dict(train_images=COLOUR[:, :8, :8], train_labels=np.array([1, 2, 3]),
                            test_images=COLOUR[:2, :8, :8], test_labels=np.array([4, 5]),
                            train_index=np.array([0, 1, 2]), test_index=np.array([3, 4])),
         ("train_images", "train_labels", "test_images", "test_labels", "train_index", "test_index")),
    Case("train_digit_cnn", dict(split=Build(lambda: convbook.DigitSplit(
        COLOUR[:, :8, :8], np.array([1, 2, 3]), COLOUR[:2, :8, :8], np.array([4, 5]),
        np.array([0, 1, 2]), np.array([3, 4]))), fixed_filters=np.stack([KERNEL, KERNEL.T]), epochs=1),
         ("fixed_filters",)),
    Case("adam_step", dict(params=[torch.zeros(2, 3)], gradients=[torch.ones(2, 3)],
                           moments=Build(lambda: [(torch.zeros(2, 3), torch.zeros(2, 3))]),
                           step=1, learning_rate=0.01), ("params", "gradients")),
    Case("plot_digits", dict(images=COLOUR[:, :8, :8], labels=np.array([1, 2, 3])),
         ("images", "labels")),
    Case("loss_hessian", dict(image=IMAGE, kernel_shape=(3, 3)), ("image",)),
    Case("convergence_factors", dict(eigenvalues=np.array([0.1, 1.0, 2.0]), learning_rate=0.5),
         ("eigenvalues",)),
    Case("plot_kernel_grid", dict(kernels=np.stack([KERNEL, KERNEL.T]), titles=["a", "b"]),
         ("kernels",)),
    Case("plot_error_by_curvature", dict(eigenvalues=np.array([0.1, 1.0, 2.0]),
                                         end_components=np.array([0.1, 0.01, 0.001])),
         ("eigenvalues", "end_components")),
    Case("top_activating", dict(activations=RNG.random((3, 2, 4, 4)), count=2), ("activations",)),
    Case("match_filters", dict(first=np.stack([KERNEL, KERNEL.T]), second=np.stack([KERNEL.T, KERNEL])),
         ("first", "second")),
    # Its only array-like argument is a DigitSplit, which checks its own arrays (see
    # DigitSplit above); the entry checks that valid arguments are accepted.
    Case("train_deeper_cnn", dict(split=Build(lambda: convbook.DigitSplit(
        COLOUR[:, :8, :8], np.array([1, 2, 3]), COLOUR[:2, :8, :8], np.array([4, 5]),
        np.array([0, 1, 2]), np.array([3, 4]))), epochs=1, batch_norm=True), ()),
    Case("batch_norm", dict(x=COLOUR[None], weight=np.ones(3), bias=np.zeros(3),
                            running_mean=np.zeros(3), running_var=np.ones(3), training=True),
         ("x", "weight", "bias", "running_mean", "running_var")),
    Case("ink_from_canvas", dict(rgba=np.full((5, 6, 4), 255.0)), ("rgba",)),
    Case("digit_from_ink", dict(ink=np.eye(5)), ("ink",)),
    Case("ink_from_photo", dict(rgba=np.full((5, 6, 4), 200.0)), ("rgba",)),
]

#: Public callables that take no array argument, and why.
TAKES_NO_ARRAY = {
    "sample_image_path": "no arguments",
    "load_grayscale": "takes a path",
    "load_colour": "takes a path",
    "edge_filters": "no arguments",
    "use_book_style": "takes a language code, checked (tests/test_korean_figures.py)",
    "classic_kernels": "no arguments",
    "filter_set": "takes a name",
    "conv_output_size": "takes integers, checked as integers",
    "same_padding": "takes an integer, checked as an integer",
    "pool_output_shape": "takes integers, checked as integers",
    "TrainingResult": "a frozen record that train_filters fills with its results; it computes nothing",
    "cli.main": "takes command-line strings; tests/test_cli.py checks each bad input",
    "cli.build_parser": "no arguments",
    "cli.make_figures": "takes a path and a name",
    "cli.write_outputs": "takes the arrays of cli.compute_maps, which checked them",
    "cli.display_size": "takes integers",
    # The newer chapters.
    "kernel_starts": "takes integers",
    "unused_inputs": "takes integers",
    "ConvSpec": "a record of integers",
    "FieldRow": "a record of integers",
    "receptive_field_table": "takes a sequence of ConvSpec (integers)",
    "receptive_field_size": "takes a sequence of ConvSpec (integers)",
    "dilated_output_size": "takes integers",
    "conv_stack": "takes a sequence of ConvSpec (integers)",
    "conv_parameter_count": "takes integers",
    "fft_operation_count": "takes integers",
    "dense_parameter_count": "takes integers",
    "compass_kernels": "no arguments",
    "load_digit_split": "takes integers",
    "make_digit_cnn": "takes integers",
    "DigitTrainingResult": "a record that train_digit_cnn fills with its results; it computes nothing",
    "conv_flops": "takes integers, checked as integers",
    "activation_bytes": "takes a shape (integers) and a dtype, checked",
    "plot_conv_arithmetic": "takes integers, checked as integers",
    "LeNetDigits": "takes a bool",
    "LayerRow": "a record of names and integers",
    "layer_table": "takes a model and integers",
    "DeeperTrainingResult": "a record that train_deeper_cnn fills with its results; it computes nothing",
    "activation_scales": "takes numbers (a weight scale and sizes)",
    "plot_curves": "takes a mapping of curves; tests/test_practice.py checks a non-finite value",
    "lab_export": "takes a model and a DigitSplit, which checks its own arrays",
}

#: The bad values: NaN, both infinities, and a float64 value too large for
#: float32 (it would become infinity in the cast).
BAD_VALUES = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf, "1e39": 1e39}
#: Functions that compute in float64, where 1e39 is a finite number like any other.
COMPUTES_IN_FLOAT64 = {"plot_loss_curve", "descent_path", "plot_descent"}


def public_object(name: str):
    prefix, _, short = name.rpartition(".")
    return getattr(MODULES[prefix + "." if prefix else ""], short)


def with_bad_value(value, bad: float):
    """A copy of an array argument with its middle element set to ``bad``."""
    if isinstance(value, list):  # a sequence of arrays: spoil the last one
        return value[:-1] + [with_bad_value(value[-1], bad)]
    if isinstance(value, torch.Tensor):
        spoiled = value.clone()
        spoiled.view(-1)[spoiled.numel() // 2] = bad
        return spoiled
    spoiled = np.array(value, dtype=np.float64)
    spoiled.flat[spoiled.size // 2] = bad
    return spoiled


def call(case: Case, **changes):
    arguments = {name: value() if isinstance(value, Build) else value
                 for name, value in case.arguments.items()}
    return case.function()(**{**arguments, **changes})


CHECKS = [
    pytest.param(case, argument, bad, id=f"{case.name}-{argument}-{label}")
    for case in CASES
    for argument in case.array_arguments
    for label, bad in BAD_VALUES.items()
    # 1e39 is a bad value only where the numbers become float32 (a float32
    # tensor cannot even hold it).
    if not (label == "1e39" and (case.name in COMPUTES_IN_FLOAT64
                                 or isinstance(case.arguments[argument], torch.Tensor)
                                 or (isinstance(case.arguments[argument], list)  # of tensors
                                     and isinstance(case.arguments[argument][-1], torch.Tensor))))
]


@pytest.mark.parametrize(("case", "argument", "bad"), CHECKS)
def test_a_non_finite_value_in_each_array_argument_is_refused(case, argument, bad):
    spoiled = with_bad_value(case.arguments[argument], bad)
    with pytest.raises(ValueError) as raised:
        call(case, **{argument: spoiled})
    message = str(raised.value)
    # The message names the argument first (maps[1] for an item of maps) ...
    assert re.match(rf"{re.escape(argument)}[ \[]", message), (
        f"{case.name}: the message should start with the argument's name "
        f"{argument!r}, got: {message}"
    )
    # ... and says what was expected.
    assert "finite" in message, f"{case.name}: the message should say 'finite', got: {message}"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_valid_arguments_of_the_table_are_accepted(case):
    # Otherwise a ValueError above could come from another mistake.
    call(case)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_array_arguments_of_the_table_are_parameters(case):
    parameters = inspect.signature(case.function()).parameters
    for argument in (*case.arguments, *case.array_arguments):
        assert argument in parameters, f"{case.name} has no parameter {argument!r}"


def public_callables() -> list[str]:
    names = []
    for prefix, module in MODULES.items():
        for short in module.__all__:
            if callable(getattr(module, short)):
                names.append(prefix + short)
    return names


def test_every_public_callable_is_in_the_table():
    listed = {case.name for case in CASES}
    assert not listed & set(TAKES_NO_ARRAY), "a name is both in CASES and TAKES_NO_ARRAY"
    missing = [name for name in public_callables() if name not in listed | set(TAKES_NO_ARRAY)]
    advice = []
    for name in missing:
        signature = inspect.signature(public_object(name))
        valid = ", ".join(f"{p}=..." for p, v in signature.parameters.items()
                          if v.default is inspect.Parameter.empty and v.kind not in
                          (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD))
        advice.append(
            f"  {name}{signature}\n"
            f"    if it takes an array, add to CASES:  Case({name!r}, dict({valid}), "
            f"(<the names of its array arguments>,)),\n"
            f"    otherwise add to TAKES_NO_ARRAY:  {name!r}: \"<why it takes no array>\","
        )
    assert not missing, (
        f"{len(missing)} public callable(s) of convbook are not in tests/test_input_checks.py; "
        "add each, with valid arguments that do not raise, so that NaN and infinity are "
        "tried in every array argument:\n" + "\n".join(advice)
    )


def test_the_table_names_only_public_callables():
    public = set(public_callables())
    stale = sorted(({case.name for case in CASES} | set(TAKES_NO_ARRAY)) - public)
    assert not stale, f"not public (or renamed): remove or rename {stale} in the table"


def test_integer_checks_name_the_argument():
    from convbook._validation import as_int, as_int_pair

    assert as_int(np.int64(3), "stride") == 3 and type(as_int(np.int64(3), "stride")) is int
    assert as_int(0, "padding", minimum=0) == 0
    for bad in (0, -1, 1.0, True, "2", None):
        with pytest.raises(ValueError, match=r"^stride must be an integer >= 1, got "):
            as_int(bad, "stride")
    assert as_int_pair((4, 5), "kernel_size") == (4, 5)
    with pytest.raises(ValueError, match=r"^kernel_size must be two integers \(kh, kw\)"):
        as_int_pair(3, "kernel_size", labels="(kh, kw)")
    with pytest.raises(ValueError, match=r"^input_shape\[1\] must be an integer >= 1, got 0"):
        as_int_pair((3, 0), "input_shape")
