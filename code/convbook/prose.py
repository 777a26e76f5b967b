"""Numbers for the prose: glue a value only after checking it independently.

Every number the book's text states is computed in a chapter and inserted
with MyST-NB's ``{glue:text}`` role. :func:`glue_checked` glues it only when
it agrees with a second, independent computation of the same quantity (a
formula against an array's shape, a loop against a library call, a
hand-computed value); otherwise it raises, and the strict build fails.
A chapter calls it in hidden cells only::

    glue_checked("out_h", conv.shape[1], height - 4 + 1)
"""

from __future__ import annotations

import math
import numbers

__all__ = ["glue_checked", "GlueCheckError"]


class GlueCheckError(AssertionError):
    """A glued value disagrees with its independent computation."""


def _as_plain(value):
    # numpy scalars and 0-d arrays become Python numbers, so that they glue
    # and format like numbers and compare with math.isclose.
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0 and getattr(value, "size", 1) == 1:
        return value.item()
    return value


def glue_checked(name: str, value, expected, *, rtol: float = 1e-6, atol: float = 0.0):
    """Check ``value`` against ``expected``, then glue it as ``name``.

    Parameters
    ----------
    name
        The glue key that the prose uses in ``{glue:text}`name```.
    value
        The number (or string) the text states, as the chapter computes it.
    expected
        The same quantity reached another way. Numbers compare with
        :func:`math.isclose` (``rtol``, ``atol``); integers, booleans and
        strings must be equal.
    rtol, atol
        Tolerances for floating-point values.

    Returns
    -------
    object
        ``value``, as a plain Python number where it was a numpy scalar.

    Raises
    ------
    GlueCheckError
        When the two disagree, naming the key and both values; nothing is
        glued then, and a strict build stops at this cell.
    TypeError
        When ``value`` is neither a number nor a string.
    """
    value, expected = _as_plain(value), _as_plain(expected)
    if isinstance(value, (bool, str)) or isinstance(expected, (bool, str)):
        agrees = type(value) is type(expected) and value == expected
    elif isinstance(value, numbers.Integral) and isinstance(expected, numbers.Integral):
        agrees = value == expected
    elif isinstance(value, numbers.Real) and isinstance(expected, numbers.Real):
        agrees = math.isfinite(value) and math.isclose(value, expected, rel_tol=rtol, abs_tol=atol)
    else:
        raise TypeError(
            f"glue_checked({name!r}): expected a number or a string, got "
            f"{type(value).__name__} and {type(expected).__name__}"
        )
    if not agrees:
        raise GlueCheckError(
            f"glued value {name!r} = {value!r} disagrees with its independent "
            f"computation {expected!r} (rtol={rtol}, atol={atol})"
        )
    from myst_nb import glue  # only at build time, in hidden cells

    glue(name, value, display=False)
    return value
