"""``python -m convbook PHOTO``: see :mod:`convbook.cli`."""

import gc
import os

# The command line does no linear algebra: one OpenBLAS thread spares the
# start-up of the others when NumPy loads (a tenth of a second of CPU time,
# which a busy two-core machine feels). A value already set is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# A short run: reference counting frees its arrays as it goes, and the
# cyclic garbage collector would only walk, again and again, the objects
# that importing matplotlib creates, and all of them once more as the
# interpreter exits (gc.freeze below spares that): together a fifth of a
# second of CPU time, measured with and without.
gc.disable()

from .cli import main  # noqa: E402 - after the environment is set

status = main()
gc.freeze()
raise SystemExit(status)
