"""Keyboard focus is visible site-wide: the header's buttons (issue 13).

The theme's header buttons (Launch, Repository, Download, full screen, the
colour theme) took the keyboard focus without showing it. Each is reached
with the Tab key, as a keyboard user reaches it, and its screenshot is
compared with the same button's screenshot before it had the focus: a focus
ring changes many pixels just around the button's box.

Set ``CONVBOOK_SITE`` to a built ``_build/html`` to skip the fresh build.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.book

#: Pages to try: the home page and a chapter (the header is the same on every page).
PAGES = ["book/index.html", "book/playground.html"]
#: The header buttons a keyboard user can reach, by what they do.
BUTTONS = {
    "Launch": ".dropdown-launch-buttons > button",
    "Repository": ".dropdown-source-buttons > button",
    "Download": ".dropdown-download-buttons > button",
    "Full screen": ".article-header-buttons .btn-fullscreen-button",
    "Colour theme": ".article-header-buttons .theme-switch-button",
}
#: How far around the button's box a ring is looked for, in CSS pixels.
MARGIN = 6
#: The smallest share of the ring band's pixels that must change.
MIN_CHANGED_SHARE = 0.25


def ring_band(image: np.ndarray, inner: tuple[int, int, int, int]) -> np.ndarray:
    """The pixels of ``image`` outside the box ``inner`` (x0, y0, x1, y1): the ring's place."""
    mask = np.ones(image.shape[:2], dtype=bool)
    x0, y0, x1, y1 = inner
    mask[y0:y1, x0:x1] = False
    return image[mask]


def shot(page, clip: dict) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")).astype(int)


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element has the focus, as a keyboard user would."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("page_path", PAGES)
def test_header_buttons_show_the_keyboard_focus(browser, site_url, page_path, theme):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=theme)
    page = context.new_page()
    try:
        page.goto(site_url + page_path)
        page.wait_for_load_state("load")
        # Tooltips fade in on focus; keep transitions out of the comparison.
        page.add_style_tag(content="*, *::before, *::after { transition: none !important; animation: none !important; }"
                                   " .tooltip { display: none !important; }")
        for name, selector in BUTTONS.items():
            button = page.locator(selector)
            assert button.count() == 1, f"{page_path}: no {name} button ({selector})"
            b = button.bounding_box()
            clip = {"x": b["x"] - MARGIN, "y": max(0, b["y"] - MARGIN),
                    "width": b["width"] + 2 * MARGIN, "height": b["height"] + 2 * MARGIN}
            inner = (MARGIN, int(b["y"] - clip["y"]), MARGIN + int(b["width"]), int(b["y"] - clip["y"] + b["height"]))
            page.mouse.move(0, 899)  # no hover
            page.evaluate("document.activeElement && document.activeElement.blur()")
            before = shot(page, clip)
            tab_to(page, selector)
            assert page.evaluate("(s) => document.querySelector(s).matches(':focus-visible')", selector)
            after = shot(page, clip)
            changed = np.abs(ring_band(after, inner) - ring_band(before, inner)).max(axis=-1) > 40
            share = changed.mean()
            assert share >= MIN_CHANGED_SHARE, (
                f"{page_path} ({theme}): the {name} button shows no visible focus ring "
                f"({share:.0%} of the pixels around it change)"
            )
            page.keyboard.press("Escape")
    finally:
        context.close()
