"""Sphinx extension: citations resolved without a search of the installed packages at each.

sphinxcontrib-bibtex asks pybtex for its style plugins at every ``{cite}``
it resolves, and pybtex looks each up in every installed package's entry
points (``importlib.metadata``): 5-15 ms a time, over a second for the
book's hundred-odd citations, in every build (each language, and the PDF's
single page). The installed plugins do not change while Sphinx runs: each
lookup's answer is kept. Loaded through ``sphinx.local_extensions`` in
``_config.yml``.
"""

from __future__ import annotations

import functools


def remember_plugin_lookups() -> None:
    """Keep the answer of each of pybtex's entry-point lookups (once per process)."""
    import pybtex.plugin

    lookup = pybtex.plugin._load_entry_point
    if not hasattr(lookup, "cache_info"):
        pybtex.plugin._load_entry_point = functools.lru_cache(maxsize=None)(lookup)


def setup(app):
    remember_plugin_lookups()
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
