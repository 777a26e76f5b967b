"""``python -m convbook PHOTO``: see :mod:`convbook.cli`."""

from .cli import main

raise SystemExit(main())
