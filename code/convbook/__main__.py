"""``python -m convbook PHOTO``: see :mod:`convbook.cli`."""

import os

# The command line does no linear algebra: one OpenBLAS thread spares the
# start-up of the others when NumPy loads (a tenth of a second of CPU time,
# which a busy two-core machine feels). A value already set is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .cli import main  # noqa: E402 - after the environment is set

raise SystemExit(main())
