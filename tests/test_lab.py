"""The CNN lab (book/lab.md, issue 23): its preprocessing, its data, its browser core, its page.

* ``convbook.lab``'s drawing-to-digit preprocessing against an explicit
  loop written here from the issue's words, and a photo's ink (Otsu);
* the browser core (``book/_extra/interactive/cnn-core.js``) under Node against
  PyTorch in float64: random convolutions (sizes, channels, stride,
  padding and its four modes, dilation), max pooling, a linear layer, and
  the preprocessing against Python's, bit for bit;
* the built site's ``lab/data.js`` against a fresh ``train_deeper_cnn``
  (bit for bit);
* the page, in ONE Chromium visit on a 390 x 844 touch screen: every test
  digit's logits within 1e-4 of PyTorch's, a digit drawn with the mouse
  gives the input Python gives for the same canvas pixels, ten drawn digits
  (``tests/data/lab-strokes.json``) are read right at least 8 times, a tap draws
  (touch), a photo's ink is Python's (Otsu's threshold), a test digit
  chosen with the keyboard is announced, no sideways
  scrolling, an edit of the network gives PyTorch's test accuracy for the
  same edit, axe, no console error, no request outside the site.

Set ``CONVBOOK_SITE`` to a built ``_build/html`` to skip the fresh build.
"""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convbook import digit_from_ink, ink_from_canvas, ink_from_photo, load_digit_split, train_deeper_cnn
from convbook.sphinx_playground import gray_weights

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "book" / "_extra" / "interactive" / "cnn-core.js"
STROKES = Path(__file__).resolve().parent / "data" / "lab-strokes.json"
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from convbook_lab import read_lab_data  # noqa: E402

from conftest import TRANSLATIONS  # noqa: E402

PAGE = "book/lab.html"
READY = "#conv-lab[data-ready='true']"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
         "device_scale_factor": 2}


# --- The preprocessing, against the words written out as loops --------------


def reference_digit(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink, scale to fit 32 x 32 keeping the aspect, centre, count 4 x 4 blocks, / 16.

    Written with plain loops and exact fractions: a scaled pixel is ink when
    at least half the crop pixels it covers are.
    """
    points = [(r, c) for r in range(ink.shape[0]) for c in range(ink.shape[1]) if ink[r, c]]
    top, bottom = min(r for r, _ in points), max(r for r, _ in points)
    left, right = min(c for _, c in points), max(c for _, c in points)
    h, w = bottom - top + 1, right - left + 1
    longer = max(h, w)

    def scaled(side):  # round half up
        return max(1, int(Fraction(32 * side, longer) + Fraction(1, 2)))

    sh, sw = scaled(h), scaled(w)
    bitmap = [[0] * 32 for _ in range(32)]
    for i in range(sh):
        r0 = i * h // sh
        r1 = max(r0 + 1, (i + 1) * h // sh)
        for j in range(sw):
            c0 = j * w // sw
            c1 = max(c0 + 1, (j + 1) * w // sw)
            count = sum(bool(ink[top + r, left + c]) for r in range(r0, r1) for c in range(c0, c1))
            if Fraction(count, (r1 - r0) * (c1 - c0)) >= Fraction(1, 2):
                bitmap[(32 - sh) // 2 + i][(32 - sw) // 2 + j] = 1
    digit = np.zeros((8, 8), dtype=np.float32)
    for r in range(32):
        for c in range(32):
            digit[r // 4, c // 4] += bitmap[r][c]
    return digit / 16


def random_masks(count: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    masks = []
    while len(masks) < count:
        h, w = (int(v) for v in rng.integers(1, 70, 2))
        mask = rng.random((h, w)) < rng.uniform(0.02, 0.6)
        if mask.any():
            masks.append(mask)
    return masks


def test_digit_from_ink_matches_the_steps_written_out():
    for mask in random_masks(60, seed=3):
        np.testing.assert_array_equal(digit_from_ink(mask), reference_digit(mask), err_msg=f"mask {mask.shape}")


def test_digit_from_ink_hand_computed():
    # A bar 80 rows by 20 columns becomes 32 x 8, centred: columns 12 to 19, blocks 3 and 4, full.
    bar = np.zeros((100, 100), dtype=bool)
    bar[10:90, 40:60] = True
    expected = np.zeros((8, 8), dtype=np.float32)
    expected[:, 3:5] = 1.0
    np.testing.assert_array_equal(digit_from_ink(bar), expected)
    # One dot fills the whole square; the ink's place in the drawing does not matter.
    dot = np.zeros((5, 7))
    dot[4, 6] = 1
    np.testing.assert_array_equal(digit_from_ink(dot), np.ones((8, 8), dtype=np.float32))


def test_ink_is_opacity_and_bad_input_is_refused():
    rgba = np.zeros((3, 4, 4))
    rgba[..., 3] = [[0, 127, 128, 255]] * 3
    rgba[..., :3] = 255  # the colour does not matter
    assert ink_from_canvas(rgba).tolist() == [[False, False, True, True]] * 3
    with pytest.raises(ValueError, match="rgba must be an"):
        ink_from_canvas(np.zeros((3, 4, 3)))
    with pytest.raises(ValueError, match="from 0 to 255"):
        ink_from_canvas(np.full((2, 2, 4), 256))
    with pytest.raises(ValueError, match="the drawing is empty"):
        digit_from_ink(np.zeros((5, 5)))
    with pytest.raises(ValueError, match="2-D"):
        digit_from_ink(np.ones((2, 2, 2)))


# --- The browser core under Node, against PyTorch ------------------------------------


def random_photos(count: int, seed: int) -> list[np.ndarray]:
    """RGBA photos: noise, flat ones (Otsu's edge case), and dark strokes on light noisy paper."""
    rng = np.random.default_rng(seed)
    photos = []
    for n in range(count):
        h, w = (int(v) for v in rng.integers(1, 40, 2))
        if n % 3 == 0:
            pixels = rng.integers(0, 256, (h, w, 4))
        elif n % 3 == 1:
            pixels = np.full((h, w, 4), rng.integers(0, 256))
        else:
            pixels = 220 + rng.integers(-25, 25, (h, w, 4))
            pixels[rng.random((h, w)) < 0.2] = rng.integers(10, 80)
        pixels = np.clip(pixels, 0, 255).astype(np.uint8)
        pixels[..., 3] = 255
        photos.append(pixels)
    return photos


def test_ink_from_photo_is_the_darker_side_of_otsus_threshold():
    # Paper at 200, ink at 40: Otsu's threshold falls between, so exactly the ink is found.
    photo = np.full((6, 5, 4), 200, dtype=np.uint8)
    photo[1:5, 2] = 40
    expected = np.zeros((6, 5), dtype=bool)
    expected[1:5, 2] = True
    np.testing.assert_array_equal(ink_from_photo(photo), expected)
    with pytest.raises(ValueError, match="whole numbers"):
        ink_from_photo(np.full((2, 2, 4), 0.5))


def random_convolutions(count: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        c_in, c_out = (int(v) for v in rng.integers(1, 4, 2))
        height, width = (int(v) for v in rng.integers(1, 10, 2))
        kh, kw = (int(v) for v in rng.integers(1, 4, 2))
        stride = [int(v) for v in rng.integers(1, 4, 2)]
        dilation = [int(v) for v in rng.integers(1, 3, 2)]
        mode = str(rng.choice(["zeros", "reflect", "replicate", "circular"]))
        padding = [int(v) for v in rng.integers(0, 3, 2)]
        if mode in ("reflect", "circular"):  # PyTorch's limits for these modes
            padding = [min(padding[0], height - 1), min(padding[1], width - 1)]
        out_h = (height + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        out_w = (width + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        if out_h < 1 or out_w < 1:
            continue
        x = rng.standard_normal((c_in, height, width)).astype(np.float32)
        weight = rng.standard_normal((c_out, c_in, kh, kw)).astype(np.float32)
        bias = rng.standard_normal(c_out).astype(np.float32)
        x64 = torch.from_numpy(x).double()[None]
        padded = F.pad(x64, (padding[1], padding[1], padding[0], padding[0]),
                       mode="constant" if mode == "zeros" else mode)
        expected = F.conv2d(padded, torch.from_numpy(weight).double(), torch.from_numpy(bias).double(),
                            stride=stride, dilation=dilation)[0]
        cases.append({"x": x.ravel().tolist(), "shape": [c_in, height, width], "weight": weight.ravel().tolist(),
                      "wshape": [c_out, c_in, kh, kw], "bias": bias.tolist(), "stride": stride,
                      "padding": padding, "dilation": dilation, "mode": mode,
                      "expected": expected.numpy(), "expected_shape": list(expected.shape)})
    return cases


NODE_SCRIPT = """
const core = require(process.argv[1]);
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const convs = cases.convs.map((c) => {
  const out = core.conv2d(core.tensor(c.shape[0], c.shape[1], c.shape[2], Float32Array.from(c.x)),
    { shape: c.wshape, data: Float32Array.from(c.weight) }, Float32Array.from(c.bias),
    { stride: c.stride, padding: c.padding, dilation: c.dilation, paddingMode: c.mode });
  return { shape: [out.channels, out.height, out.width], data: Array.from(out.data) };
});
const pools = cases.pools.map((p) => {
  const out = core.maxPool2d(core.tensor(p.shape[0], p.shape[1], p.shape[2], Float32Array.from(p.x)), p.kernel);
  return { shape: [out.channels, out.height, out.width], data: Array.from(out.data) };
});
const linear = Array.from(core.linear(Float32Array.from(cases.linear.x),
  { shape: cases.linear.wshape, data: Float32Array.from(cases.linear.weight) }, Float32Array.from(cases.linear.bias)));
const softmax = Array.from(core.softmax(cases.linear.x));
const photos = cases.photos.map((p) => Array.from(core.inkFromPhoto(Uint8Array.from(p.rgba), p.w, p.h, cases.gray)));
const digits = cases.masks.map((m) => {
  const digit = core.digitFromInk(core.inkFromRGBA(Uint8Array.from(m.rgba), m.w, m.h), m.w, m.h);
  return Array.from(digit);
});
process.stdout.write(JSON.stringify({ convs, pools, linear, softmax, digits, photos }));
"""


def test_core_under_node_equals_pytorch_and_the_python_preprocessing():
    rng = np.random.default_rng(7)
    convs = random_convolutions(300, seed=11)
    pools = []
    for _ in range(30):
        kernel = int(rng.integers(1, 4))
        shape = [int(rng.integers(1, 4)), int(rng.integers(kernel, 10)), int(rng.integers(kernel, 10))]
        x = rng.standard_normal(shape).astype(np.float32)
        pools.append({"x": x.ravel().tolist(), "shape": shape, "kernel": kernel,
                      "expected": F.max_pool2d(torch.from_numpy(x)[None], kernel)[0].numpy()})
    x, weight, bias = (rng.standard_normal(s).astype(np.float32) for s in (64, (10, 64), 10))
    masks = random_masks(30, seed=5)
    photos = random_photos(60, seed=9)
    payload = {
        "gray": gray_weights(),
        "photos": [{"rgba": p.ravel().tolist(), "h": p.shape[0], "w": p.shape[1]} for p in photos],
        "convs": [{k: v for k, v in c.items() if not k.startswith("expected")} for c in convs],
        "pools": [{k: v for k, v in p.items() if k != "expected"} for p in pools],
        "linear": {"x": x.tolist(), "weight": weight.ravel().tolist(), "wshape": [10, 64], "bias": bias.tolist()},
        "masks": [{"rgba": np.stack([np.zeros_like(m, np.uint8)] * 3 + [m * np.uint8(255)], -1).ravel().tolist(),
                   "h": m.shape[0], "w": m.shape[1]} for m in masks],
    }
    result = subprocess.run(["node", "-e", NODE_SCRIPT, str(CORE)], input=json.dumps(payload),
                            capture_output=True, text=True, check=True)
    out = json.loads(result.stdout)
    for case, got in zip(convs, out["convs"], strict=True):
        assert got["shape"] == case["expected_shape"], case
        expected = case["expected"].ravel()
        error = np.abs(np.array(got["data"]) - expected).max()
        assert error <= 1e-5 * max(1.0, np.abs(expected).max()), (error, {k: case[k] for k in ("shape", "wshape",
                                                                           "stride", "padding", "dilation", "mode")})
    for case, got in zip(pools, out["pools"], strict=True):
        assert got["shape"] == list(case["expected"].shape)
        np.testing.assert_array_equal(np.float32(got["data"]), case["expected"].ravel())
    expected = torch.from_numpy(x).double() @ torch.from_numpy(weight).double().T + torch.from_numpy(bias).double()
    np.testing.assert_allclose(out["linear"], expected.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(out["softmax"], torch.softmax(torch.from_numpy(x).double(), 0).numpy(), atol=1e-12)
    for photo, got in zip(photos, out["photos"], strict=True):  # Otsu's threshold: OpenCV's level
        np.testing.assert_array_equal(np.array(got, bool).reshape(photo.shape[:2]), ink_from_photo(photo))
    for mask, got in zip(masks, out["digits"], strict=True):
        np.testing.assert_array_equal(np.float32(got).reshape(8, 8), digit_from_ink(mask))


# --- The site: the exported network, and the page ---------------------------------------


@pytest.fixture(scope="module")
def trained():
    """The deeper chapter's training, afresh: (split, model)."""
    split = load_digit_split()
    return split, train_deeper_cnn(split, seed=0).model


def float32_bits(values) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)


@pytest.mark.book
def test_exported_network_is_the_chapters_bit_for_bit(site, trained):
    split, model = trained
    data = read_lab_data(site / "lab" / "data.js")
    state = model.state_dict()
    assert list(data["parameters"]) == list(state)
    for name, tensor in state.items():
        entry = data["parameters"][name]
        exported = np.frombuffer(base64.b64decode(entry["data"]), dtype="<f4").reshape(entry["shape"])
        np.testing.assert_array_equal(float32_bits(exported), float32_bits(tensor.numpy()), err_msg=name)
    counts = np.frombuffer(base64.b64decode(data["digits"]["counts"]), dtype=np.uint8)
    np.testing.assert_array_equal(counts.reshape(-1, 8, 8) / np.float32(16), split.test_images)
    assert data["digits"]["labels"] == split.test_labels.tolist()
    for language in TRANSLATIONS:  # every edition carries the same network
        assert read_lab_data(site / language / "lab" / "data.js") == data


def torch_logits(model, images: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).reshape(-1, 1, 8, 8)).numpy()


def floats(page, expression: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(page.evaluate(expression)), dtype="<f4")


def input_matches_pythons(page, photo: bool = False) -> np.ndarray:
    """The page's input, checked equal to Python's preprocessing of the page's canvas pixels."""
    side = page.evaluate("window.convLab.canvasSide")
    rgba = np.frombuffer(base64.b64decode(page.evaluate("window.convLab.canvasBase64()")), np.uint8)
    ink = (ink_from_photo if photo else ink_from_canvas)(rgba.reshape(side, side, 4))
    python_input = digit_from_ink(ink)
    page_input = floats(page, "window.convLab.inputBase64()").reshape(8, 8)
    np.testing.assert_array_equal(page_input, python_input)
    return python_input


@pytest.mark.book
def test_lab_page_in_chromium(site, site_url, browser, axe_source, trained):
    split, model = trained
    context = browser.new_context(**PHONE)
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []

    def on_console(message):
        url = (message.location or {}).get("url") or ""
        # The browser's own /favicon.ico probe outside the site's sub-path is not the page's doing.
        if message.type == "error" and (not url or url.startswith(site_url)):
            errors.append(f"{message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(site_url + PAGE)
    page.wait_for_selector(READY, timeout=30_000)
    live = page.locator("#cl-announce")
    expect_empty = live.inner_text()
    assert "empty" in expect_empty, expect_empty

    # Every test digit: the page's logits are PyTorch's, and so is the predicted digit.
    logits = floats(page, "window.convLab.testLogitsBase64()").reshape(-1, 10)
    expected = torch_logits(model, split.test_images)
    assert logits.shape == expected.shape
    assert np.abs(logits - expected).max() <= 1e-4
    np.testing.assert_array_equal(logits.argmax(axis=1), expected.argmax(axis=1))

    # A digit drawn with the mouse: the page's input is Python's preprocessing of the same pixels.
    canvas = page.locator("#conv-lab canvas.cl-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()

    def at(x, y):
        return box["x"] + x * box["width"], box["y"] + y * box["height"]

    page.mouse.move(*at(0.25, 0.2))
    page.mouse.down()
    for x, y in ((0.5, 0.18), (0.75, 0.2), (0.6, 0.5), (0.45, 0.85)):  # a 7
        page.mouse.move(*at(x, y), steps=6)
    page.mouse.up()
    python_input = input_matches_pythons(page)
    predicted = int(torch_logits(model, python_input).argmax())
    snapshot = page.evaluate("window.convLab.snapshot()")
    assert snapshot["prediction"] == predicted
    said = live.inner_text()
    assert said.startswith(f"The network reads {predicted}, with probability"), said

    # Ten digits drawn stroke by stroke (tests/data/lab-strokes.json): each input is Python's,
    # and the network reads at least 8 of them right (issue 23).
    right = []
    for digit, strokes in json.loads(STROKES.read_text())["digits"].items():
        page.locator("#cl-clear").click()
        for points in strokes:
            page.mouse.move(*at(*points[0]))
            page.mouse.down()
            for point in points[1:]:
                page.mouse.move(*at(*point), steps=5)
            page.mouse.up()
        drawn = input_matches_pythons(page)
        read = page.evaluate("window.convLab.snapshot().prediction")
        assert read == int(torch_logits(model, drawn).argmax())
        right.append(read == int(digit))
    assert sum(right) >= 8, f"the network reads {sum(right)} of the 10 drawn digits right"

    # Touch: a tap is a round dot, scaled to fill the square (its corners stay empty).
    page.locator("#cl-clear").click()
    assert "empty" in live.inner_text()
    page.touchscreen.tap(*at(0.5, 0.5))
    page.wait_for_function("window.convLab.inputBase64() !== null")
    dot = input_matches_pythons(page)
    assert dot[3:5, 3:5].min() == 1 and dot[0, 0] < 1, dot

    # A photo of a digit: a dark 7 on light, uneven paper; its ink is Otsu's darker side.
    rng = np.random.default_rng(1)
    paper = np.clip(205 + rng.normal(0, 12, (150, 120)) + np.linspace(-20, 20, 120)[None], 0, 255).astype(np.uint8)
    cv2.line(paper, (25, 25), (95, 25), 35, 9)
    cv2.line(paper, (95, 25), (50, 130), 35, 9)
    ok, png = cv2.imencode(".png", paper)
    assert ok
    page.set_input_files("#cl-photo", files=[{"name": "seven.png", "mimeType": "image/png", "buffer": png.tobytes()}])
    page.wait_for_function("window.convLab.snapshot().source === 'photo'")
    photo_input = input_matches_pythons(page, photo=True)
    assert page.evaluate("window.convLab.snapshot().prediction") == int(torch_logits(model, photo_input).argmax())
    assert "seven.png" in page.inner_text("#cl-photo-note")

    # The keyboard: a test digit of the gallery, chosen with Tab and Enter, is announced.
    first = page.locator("#conv-lab .cl-gallery-panel .cl-gallery-button").first
    first.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    chosen = page.locator("#conv-lab .cl-gallery-panel .cl-gallery-button[aria-pressed='true']")
    index = int(chosen.get_attribute("data-index"))
    assert index == int(page.locator("#conv-lab .cl-gallery-panel .cl-gallery-button").nth(1).get_attribute("data-index"))
    predicted = int(expected[index].argmax())
    said = live.inner_text()
    assert said.startswith(f"The network reads {predicted}, with probability"), said
    assert said.endswith(f"the test digit is labelled {split.test_labels[index]}."), said
    np.testing.assert_array_equal(floats(page, "window.convLab.inputBase64()").reshape(8, 8),
                                  split.test_images[index])

    # Edit the network: the page's test accuracy is PyTorch's for the same edit. The weight is
    # typed with a decimal comma (a comma-locale keypad), and a bad one is refused, not used.
    page.wait_for_function("window.convLab.snapshot().accuracy !== null")  # measured in steps on load
    snapshot = page.evaluate("window.convLab.snapshot()")
    assert snapshot["accuracy"] == float(np.mean(expected.argmax(axis=1) == split.test_labels))
    page.select_option("#cl-filter", "2")
    page.fill("#cl-cell-4", "3,5")  # filter 3's centre weight
    page.fill("#cl-cell-9", "-0.25")  # its bias
    page.locator("#cl-conv2-on-3").uncheck()  # channel 4 of conv2
    page.fill("#cl-cell-0", "1e9")
    assert page.get_attribute("#cl-cell-0", "aria-invalid") == "true"
    assert "is not a number from" in page.inner_text("#cl-edit-problem")
    edited = copy.deepcopy(model)
    with torch.no_grad():
        edited.conv1.weight[2, 0, 1, 1] = 3.5
        edited.conv1.bias[2] = -0.25
        edited.conv2.weight[3] = 0
        edited.conv2.bias[3] = 0
    edited_predictions = torch_logits(edited, split.test_images).argmax(axis=1)
    snapshot = page.evaluate("window.convLab.snapshot()")
    assert snapshot["accuracy"] == float(np.mean(edited_predictions == split.test_labels))
    assert snapshot["wrong"] == np.flatnonzero(edited_predictions != split.test_labels).tolist()
    shown = page.locator("#conv-lab .cl-wrong .cl-gallery-button")
    assert shown.count() == min(40, len(snapshot["wrong"]))
    page.locator("#cl-reset").click()
    assert page.evaluate("window.convLab.snapshot().accuracy") == float(
        np.mean(expected.argmax(axis=1) == split.test_labels))

    # A phone: no sideways scrolling; accessible; quiet; offline.
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways ({widths[0]} > {widths[1]} px)"
    page.add_script_tag(content=axe_source)
    result = page.evaluate("axe.run({include: [['article.bd-article']]}, {resultTypes: ['violations']})")
    assert not result["violations"], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    outside = [url for url in requests if not url.startswith(site_url) and not url.startswith("data:")]
    assert not outside, outside
    context.close()
    assert not errors, errors
