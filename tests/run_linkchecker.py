"""LinkChecker as the site tests run it: ``python tests/run_linkchecker.py ARGS``.

Two changes to LinkChecker (pinned in requirements.txt), neither to what it
checks or reports:

* it does not drop root privileges to ``nobody``, who cannot read pytest's
  private temporary folders;
* it reads an element's text (the link's name in its report) only for the
  elements that carry a URL. LinkChecker reads the text of every element of
  every page it parses, each time all of the element's descendants: on this
  book's pages, deep with KaTeX's nested spans, that was a quarter of its
  time (issue 10).
"""

from __future__ import annotations

import sys

import linkcheck.command.linkchecker as command
from linkcheck.htmlutil import linkparse


def find_links(soup, callback, tags) -> None:
    """``linkparse.find_links``, reading the text of the elements with a link attribute only."""
    finder = linkparse.LinkFinder(callback, tags)
    for element in soup.find_all(True):
        # LinkFinder.html_element uses the text only for the attributes it
        # looks up this way (as the link's name).
        attributes = finder.tags.get(element.name, finder.universal_attrs)
        text = element.text.strip() if attributes.intersection(element.attrs) else ""
        finder.html_element(
            element.name,
            element.attrs,
            text,
            element.sourceline,
            None if element.sourcepos is None else element.sourcepos + 1,
        )


if __name__ == "__main__":
    command.drop_privileges = lambda: None
    linkparse.find_links = find_links
    sys.argv[0] = "linkchecker"
    sys.exit(command.linkchecker())
