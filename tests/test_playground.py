"""The kernel playground (book/playground.md), driven in Chromium.

The playground runs in the reader's browser; these tests check that its
numbers are the package's, that its controls work from the mouse and the
keyboard, that it takes the reader's own photo, that it is accessible and
quiet (axe, console), and that an edit updates the page within 50 ms.

Set ``CONVBOOK_SITE`` to a built ``_build/html`` to skip the fresh build.
"""

from __future__ import annotations

import base64
import json
import statistics

import cv2
import numpy as np
import pytest

import convbook
from convbook.presets import PRESET_LABELS, playground_presets
from convbook.sphinx_playground import gray_weights, read_playground_data

pytestmark = pytest.mark.book

PAGE = "book/playground.html"
READY = "#conv-playground[data-ready='true']"
#: The budget for one update (convolution + both feature maps drawn), in ms.
UPDATE_BUDGET_MS = 50.0
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


# --- Helpers -------------------------------------------------------------------


class Console:
    """Console errors and uncaught exceptions of one page."""

    def __init__(self, page, site_url: str):
        self.site_url = site_url
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _on_console(self, message):
        if message.type != "error":
            return
        url = (message.location or {}).get("url") or ""
        text = f"{message.text} ({url})"
        # The test server answers nothing outside the site's sub-path: a
        # browser's own /favicon.ico probe there is not the page's doing.
        if url and not url.startswith(self.site_url):
            self.outside.append(text)
        else:
            self.errors.append(text)


def open_playground(browser, site_url, *, viewport="desktop", theme="light"):
    context = browser.new_context(viewport=VIEWPORTS[viewport], color_scheme=theme)
    page = context.new_page()
    console = Console(page, site_url)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(site_url + PAGE)
    page.wait_for_selector(READY, timeout=30_000)
    return context, page, console, requests


def floats(page, expression: str) -> np.ndarray:
    """A float32 array the page returns as base64 (see playground.js)."""
    return np.frombuffer(base64.b64decode(page.evaluate(expression)), dtype="<f4")


def browser_feature_map(page) -> np.ndarray:
    shape = page.evaluate("window.convPlayground.snapshot().output")
    return floats(page, "window.convPlayground.featureMapBase64()").reshape(shape["height"], shape["width"])


def browser_input(page) -> np.ndarray:
    shape = page.evaluate("window.convPlayground.snapshot().input")
    return floats(page, "window.convPlayground.inputBase64()").reshape(shape["height"], shape["width"])


def canvas_pixels(page, selector: str) -> bytes:
    data_url = page.eval_on_selector(selector, "canvas => canvas.toDataURL('image/png')")
    return base64.b64decode(data_url.split(",", 1)[1])


def describe_violations(result) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def grid_values(page) -> np.ndarray:
    size = page.evaluate("window.convPlayground.snapshot().size")
    values = page.eval_on_selector_all(".cp-grid input", "cells => cells.map(c => c.value)")
    assert len(values) == size * size, f"the grid has {len(values)} cells for a {size}x{size} kernel"
    return np.array([float(v) for v in values]).reshape(size, size)


@pytest.fixture
def playground(browser, site_url):
    context, page, console, _ = open_playground(browser, site_url)
    yield page
    context.close()
    assert not console.errors, f"{PAGE}: console errors: {console.errors}"


# --- The data the build exports ----------------------------------------------


def test_build_exports_the_packages_photo_and_presets(site):
    folder = site / "playground"
    for name in ("playground.js", "playground.css", "data.js"):
        assert (folder / name).is_file(), f"the site has no playground/{name}"
    data = read_playground_data(folder / "data.js")
    presets = playground_presets()
    assert [p["id"] for p in data["presets"]] == list(presets)
    for preset in data["presets"]:
        np.testing.assert_array_equal(
            np.array(preset["weights"], dtype=np.float32), presets[preset["id"]],
            err_msg=f"preset {preset['id']} in data.js differs from the package",
        )
        assert preset["label"] == PRESET_LABELS[preset["id"]]
    png = np.frombuffer(base64.b64decode(data["photo"]["png"]), dtype=np.uint8)
    levels = cv2.imdecode(png, cv2.IMREAD_UNCHANGED)
    gray = convbook.load_grayscale(convbook.sample_image_path())
    assert levels.dtype == np.uint8 and levels.shape == gray.shape
    np.testing.assert_array_equal(levels.astype(np.float32) / 255, gray)
    assert (data["photo"]["width"], data["photo"]["height"]) == (gray.shape[1], gray.shape[0])
    assert data["photo"]["checksum"] == int(levels.sum())
    assert data["gray"] == gray_weights()


def test_gray_weights_reproduce_opencv():
    weights = gray_weights()
    rng = np.random.default_rng(1)
    bgr = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    b, g, r = (bgr[..., i].astype(np.int64) for i in range(3))
    levels = (r * weights["r"] + g * weights["g"] + b * weights["b"] + (1 << (weights["shift"] - 1))) >> weights["shift"]
    np.testing.assert_array_equal(levels, cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))


def test_page_loads_the_playground_with_relative_urls(site):
    html = (site / PAGE).read_text()
    assert 'id="conv-playground"' in html
    for url in ('src="../playground/data.js"', 'src="../playground/playground.js"',
                'href="../playground/playground.css"'):
        assert url in html, f"{PAGE} does not load {url}"
    # The playground's scripts are not injected into the other pages.
    other = (site / "book" / "images.html").read_text()
    assert "playground.js" not in other and "playground/data.js" not in other


def test_playground_works_from_disk(browser, site, photo, lesson_filters):
    """Opened as a file (as jupyter-book suggests after a build), it still works."""
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto((site / PAGE).resolve().as_uri())
        page.wait_for_selector(READY, timeout=30_000)
        conv, _ = convbook.feature_maps(photo, lesson_filters[0])
        assert float(np.abs(browser_feature_map(page) - conv[0]).max()) < 1e-4
        assert not errors, errors
    finally:
        context.close()


# --- The numbers ------------------------------------------------------------------


def test_browser_input_is_load_grayscale_exactly(playground, photo):
    np.testing.assert_array_equal(browser_input(playground), photo)


def test_filter_1_feature_map_matches_the_package(playground, photo, lesson_filters):
    assert playground.evaluate("window.convPlayground.snapshot().preset") == "filter_1"
    conv, _ = convbook.feature_maps(photo, lesson_filters[0])
    in_browser = browser_feature_map(playground)
    assert in_browser.shape == conv[0].shape
    difference = float(np.abs(in_browser - conv[0]).max())
    assert difference < 1e-4, f"browser and convbook.feature_maps differ by {difference:g}"


def test_editing_a_cell_changes_the_output(playground, photo):
    before_conv = canvas_pixels(playground, "#cp-conv")
    before_relu = canvas_pixels(playground, "#cp-relu")
    playground.fill("#cp-w-1-2", "3")
    assert playground.eval_on_selector("#cp-preset", "s => s.value") == "custom"
    assert canvas_pixels(playground, "#cp-conv") != before_conv, "the map before ReLU did not change"
    assert canvas_pixels(playground, "#cp-relu") != before_relu, "the map after ReLU did not change"
    kernel = playground_presets()["filter_1"].copy()
    kernel[1, 2] = 3
    np.testing.assert_array_equal(grid_values(playground), kernel)
    conv, _ = convbook.feature_maps(photo, kernel)
    assert float(np.abs(browser_feature_map(playground) - conv[0]).max()) < 1e-4


@pytest.mark.parametrize("name", list(playground_presets()))
def test_each_preset_loads_its_weights(playground, photo, name):
    kernel = playground_presets()[name]
    playground.fill("#cp-w-0-0", "7")  # start from something else
    playground.select_option("#cp-preset", name)
    snapshot = playground.evaluate("window.convPlayground.snapshot()")
    assert snapshot["preset"] == name
    assert snapshot["size"] == kernel.shape[0]
    assert playground.eval_on_selector("#cp-size", "s => s.value") == str(kernel.shape[0])
    np.testing.assert_array_equal(np.array(snapshot["weights"], dtype=np.float32).reshape(kernel.shape), kernel)
    np.testing.assert_allclose(grid_values(playground), kernel, atol=1e-6)
    conv, _ = convbook.feature_maps(photo, kernel)
    assert float(np.abs(browser_feature_map(playground) - conv[0]).max()) < 1e-4


def test_relu_map_shows_the_activated_values(playground, photo):
    _, activated = convbook.feature_maps(photo, playground_presets()["filter_1"])
    encoded = playground.eval_on_selector(
        "#cp-relu",
        """canvas => {
            const rgba = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            const red = new Uint8Array(rgba.length / 4);
            for (let i = 0; i < red.length; i++) red[i] = rgba[4 * i];
            let text = '';
            for (let i = 0; i < red.length; i += 0x8000) text += String.fromCharCode.apply(null, red.subarray(i, i + 0x8000));
            return btoa(text);
        }""",
    )
    levels = np.frombuffer(base64.b64decode(encoded), dtype=np.uint8).reshape(activated[0].shape)
    expected = np.rint(activated[0] / activated[0].max() * 255)
    assert np.abs(levels.astype(int) - expected).max() <= 1, "the ReLU map is not black at 0 and white at the maximum"
    assert (levels[activated[0] == 0] == 0).all()


def test_negate_and_transpose_make_the_lessons_other_filters(playground):
    presets = playground_presets()
    playground.click("text=Transpose")
    np.testing.assert_array_equal(grid_values(playground), presets["filter_3"])
    playground.click("text=Negate")
    np.testing.assert_array_equal(grid_values(playground), presets["filter_4"])
    playground.click("text=Transpose")
    np.testing.assert_array_equal(grid_values(playground), presets["filter_2"])
    assert "sum to 0" in playground.text_content("#cp-weight-sum")


def test_kernel_size_changes_the_grid(playground, photo):
    for size in (3, 5, 4):
        playground.select_option("#cp-size", str(size))
        assert grid_values(playground).shape == (size, size)
        output = playground.evaluate("window.convPlayground.snapshot().output")
        assert (output["height"], output["width"]) == (photo.shape[0] - size + 1, photo.shape[1] - size + 1)


def test_arrow_keys_move_between_cells(playground):
    playground.focus("#cp-w-0-0")
    moves = [("ArrowRight", "cp-w-0-1"), ("ArrowDown", "cp-w-1-1"), ("ArrowDown", "cp-w-2-1"),
             ("ArrowLeft", "cp-w-2-0"), ("ArrowLeft", "cp-w-2-0"), ("ArrowUp", "cp-w-1-0"),
             ("End", "cp-w-1-3"), ("Home", "cp-w-1-0")]
    for key, expected in moves:
        playground.keyboard.press(key)
        assert playground.evaluate("document.activeElement.id") == expected, f"after {key}"
    # Arrows move; they do not step the number.
    np.testing.assert_array_equal(grid_values(playground), playground_presets()["filter_1"])
    playground.keyboard.type("5")
    assert playground.input_value("#cp-w-1-0") == "5"
    assert playground.evaluate("window.convPlayground.snapshot().weights[4]") == 5


def test_every_control_has_a_label(playground):
    unlabelled = playground.evaluate(
        """() => [...document.querySelectorAll('#conv-playground input, #conv-playground select')]
             .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
             .map(e => e.id || e.outerHTML)"""
    )
    assert not unlabelled, f"controls without a label: {unlabelled}"
    label = playground.get_attribute("#cp-w-2-3", "aria-label")
    assert label == "Weight, row 3, column 4"


def test_own_photo_becomes_the_input(playground, tmp_path):
    # A colour photo with every kind of pixel: the browser must turn it into
    # the gray levels OpenCV gives (BGR to gray, / 255), not just any gray.
    rng = np.random.default_rng(5)
    height, width = 90, 120
    y, x = np.mgrid[0:height, 0:width]
    bgr = np.dstack([x * 2, y * 2, (x + y) % 256]).astype(np.uint8)
    bgr[30:60, 40:80] = rng.integers(0, 256, size=(30, 40, 3), dtype=np.uint8)
    path = tmp_path / "my photo.png"
    cv2.imwrite(str(path), bgr)
    expected = convbook.load_grayscale(path)

    before = canvas_pixels(playground, "#cp-input")
    playground.set_input_files("#cp-file", str(path))
    playground.wait_for_function("window.convPlayground.snapshot().input.name === 'your photo'")
    np.testing.assert_array_equal(browser_input(playground), expected)
    assert canvas_pixels(playground, "#cp-input") != before
    conv, _ = convbook.feature_maps(expected, playground_presets()["filter_1"])
    assert float(np.abs(browser_feature_map(playground) - conv[0]).max()) < 1e-4
    assert "my photo.png" in playground.text_content("#cp-photo-note")

    playground.click("text=Back to the sample photo")
    playground.wait_for_function("window.convPlayground.snapshot().input.name === 'the sample photo'")
    assert browser_input(playground).shape == (427, 640)


def test_a_file_that_is_not_an_image_is_refused_politely(playground, tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    playground.set_input_files("#cp-file", str(path))
    playground.wait_for_function("document.getElementById('cp-photo-note').textContent.startsWith('Could not')")
    assert playground.evaluate("window.convPlayground.snapshot().input.name") == "the sample photo"


def test_pointing_at_the_output_explains_the_value(playground, photo):
    canvas = playground.locator("#cp-conv")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    canvas.hover(position={"x": box["width"] * 0.5, "y": box["height"] * 0.25})
    probe = playground.evaluate("window.convPlayground.snapshot().probe")
    row, col = probe["row"], probe["col"]
    assert abs(row - 424 * 0.25) <= 2 and abs(col - 637 * 0.5) <= 2
    assert playground.input_value("#cp-probe-row") == str(row)
    conv, _ = convbook.feature_maps(photo, playground_presets()["filter_1"])
    value = f"{conv[0, row, col]:.4f}".replace("-", "\u2212")
    text = playground.text_content("#cp-sum")
    assert f"row {row}, column {col}" in text and value in text, text
    # The keyboard way: type the position.
    playground.fill("#cp-probe-row", "10")
    playground.fill("#cp-probe-col", "20")
    value = f"{conv[0, 10, 20]:.4f}".replace("-", "\u2212")
    assert value in playground.text_content("#cp-sum")
    assert value in playground.text_content("#cp-probe-live")


def test_the_description_says_what_is_shown(playground):
    status = playground.locator("#cp-status")
    assert status.get_attribute("aria-live") == "polite"
    assert "Filter 1" in status.text_content() and "637 by 424" in status.text_content()
    playground.fill("#cp-w-0-0", "2")
    playground.wait_for_function("document.getElementById('cp-status').textContent.includes('your own weights')")


# --- The site's rules, on this page --------------------------------------------------


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_axe_offline_width_and_console(browser, site_url, axe_source, viewport, theme):
    where = f"{PAGE} ({viewport}, {theme})"
    context, page, console, requests = open_playground(browser, site_url, viewport=viewport, theme=theme)
    try:
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        # Use it a little, so that every part of the interface is on screen.
        page.fill("#cp-w-0-0", "2")
        page.select_option("#cp-preset", "sobel_x")
        page.wait_for_timeout(600)  # let the live description settle
        page.add_script_tag(content=axe_source)
        # Every rule, first on the chapter's article (its prose and the
        # playground), then on the whole page with the theme around it, so
        # that a failure says whose it is.
        assert page.locator("article.bd-article #conv-playground").count() == 1
        result = page.evaluate("axe.run({include: [['article.bd-article']]}, {resultTypes: ['violations']})")
        violations = describe_violations(result)
        assert not violations, f"{where}: axe violations in the chapter: {violations}"
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        violations = describe_violations(result)
        assert not violations, f"{where}: axe violations in the theme around the chapter: {violations}"
        outside = [url for url in requests if not url.startswith(site_url) and not url.startswith("data:")]
        assert not outside, f"{where}: requests outside the site: {outside}"
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"{where}: the page scrolls sideways ({widths[0]} > {widths[1]} px)"
        assert not console.errors, f"{where}: console errors: {console.errors}"
    finally:
        context.close()


# --- Speed ---------------------------------------------------------------------------------


def test_an_edit_updates_within_the_budget(playground, capsys):
    for i in range(20):
        playground.fill("#cp-w-1-1", str(i % 5 - 2))
    timings = playground.evaluate("window.convPlayground.timings.slice(-20)")
    assert len(timings) == 20
    median = statistics.median(timings)
    with capsys.disabled():
        print(f"\nplayground: median update of 20 edits {median:.1f} ms (max {max(timings):.1f} ms)")
    assert median < UPDATE_BUDGET_MS, f"median update {median:.1f} ms is over {UPDATE_BUDGET_MS} ms"
