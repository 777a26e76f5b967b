/*
 * The kernel playground of "The Convolutional Layer" book.
 *
 * Plain JavaScript and the Canvas API; everything runs in the reader's
 * browser and nothing is uploaded. The photo, the preset kernels and the
 * colour map come from data.js, which the build writes from the `convbook`
 * package (convbook/sphinx_playground.py) and which sets
 * window.convPlaygroundData.
 *
 * The numbers are those of convbook.feature_maps (torch's Conv2d): a valid
 * cross-correlation, stride 1, no padding, on gray values k / 255.
 */
(function () {
  "use strict";

  var root = document.getElementById("conv-playground");
  if (!root) {
    return;
  }

  /** Photos larger than this (longer side, pixels) are scaled down. */
  var MAX_SIDE = 800;
  var SIZES = [3, 4, 5];

  var state = {
    data: null,
    input: null, // {width, height, gray: Float32Array, name}
    size: 4,
    weights: null, // Float32Array(size * size), row-major
    presetId: null,
    conv: null, // Float32Array(outW * outH)
    outW: 0,
    outH: 0,
    stats: null,
    probe: null, // {row, col} in output coordinates
    timings: [],
  };

  var ui = {};
  var lutPacked = null; // Uint32Array(256) of the diverging colour map
  var grayPacked = null; // Uint32Array(256) of black to white
  var littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

  // --- Small helpers ---------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) {
        return;
      }
      if (key === "text") {
        node.textContent = value;
      } else if (key === "className") {
        node.className = value;
      } else {
        node.setAttribute(key, value === true ? "" : String(value));
      }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function pack(r, g, b) {
    return littleEndian
      ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0
      : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
  }

  /** A number for people: a true minus sign, a few significant digits. */
  function fmt(value, digits) {
    if (digits === undefined) {
      digits = 3;
    }
    var text = Math.abs(value) < 0.5 * Math.pow(10, -digits) ? (0).toFixed(digits) : value.toFixed(digits);
    return text.replace("-", "\u2212");
  }

  /** A weight as it goes into a number input (shortest exact form). */
  function weightText(value) {
    return String(Math.round(value * 1e6) / 1e6);
  }

  // --- Images -----------------------------------------------------------------

  /**
   * Gray levels from RGBA pixels, as OpenCV's COLOR_BGR2GRAY does for 8-bit
   * images (fixed-point weights, rounded; data.js has the installed
   * OpenCV's), then divided by 255 in float32, as convbook.load_grayscale
   * does. An already gray image keeps its levels.
   */
  function grayFromRGBA(rgba, width, height) {
    var weights = state.data.gray;
    var wr = weights.r;
    var wg = weights.g;
    var wb = weights.b;
    var shift = weights.shift;
    var half = 1 << (shift - 1);
    var gray = new Float32Array(width * height);
    var sum = 0;
    for (var i = 0, p = 0; i < gray.length; i++, p += 4) {
      var level = (rgba[p] * wr + rgba[p + 1] * wg + rgba[p + 2] * wb + half) >> shift;
      sum += level;
      gray[i] = Math.fround(level / 255);
    }
    return { gray: gray, checksum: sum };
  }

  /** Decode an image (Blob) into RGBA pixels, with no colour management. */
  function decode(blob, maxSide) {
    var options = { colorSpaceConversion: "none", premultiplyAlpha: "none" };
    return createImageBitmap(blob, options).then(function (bitmap) {
      var scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
      if (scale >= 1) {
        return bitmap;
      }
      var width = Math.max(1, Math.round(bitmap.width * scale));
      var height = Math.max(1, Math.round(bitmap.height * scale));
      bitmap.close();
      return createImageBitmap(blob, {
        colorSpaceConversion: "none",
        premultiplyAlpha: "none",
        resizeWidth: width,
        resizeHeight: height,
        resizeQuality: "high",
      });
    }).then(function (bitmap) {
      var canvas = document.createElement("canvas");
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(bitmap, 0, 0);
      var pixels = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      var result = { width: bitmap.width, height: bitmap.height, rgba: pixels };
      bitmap.close();
      return result;
    });
  }

  // --- The layer --------------------------------------------------------------

  /** Valid cross-correlation of a (H, W) image with a (k, k) kernel. */
  var accBuffer = new Float64Array(0);

  function correlate(gray, width, height, weights, k) {
    var outW = width - k + 1;
    var outH = height - k + 1;
    var n = outW * outH;
    if (accBuffer.length < n) {
      accBuffer = new Float64Array(n);
    }
    var acc = accBuffer.subarray(0, n);
    acc.fill(0);
    for (var i = 0; i < k; i++) {
      for (var j = 0; j < k; j++) {
        var w = weights[i * k + j];
        if (w === 0) {
          continue;
        }
        for (var y = 0; y < outH; y++) {
          var src = (y + i) * width + j;
          var dst = y * outW;
          for (var x = 0; x < outW; x++) {
            acc[dst + x] += w * gray[src + x];
          }
        }
      }
    }
    var values = state.conv && state.conv.length === n ? state.conv : new Float32Array(n);
    values.set(acc);
    return { values: values, width: outW, height: outH };
  }

  function statistics(values) {
    var min = Infinity;
    var max = -Infinity;
    var positive = 0;
    var argmax = 0;
    var best = -Infinity;
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
      if (v > 0) positive++;
      var a = v < 0 ? -v : v;
      if (a > best) {
        best = a;
        argmax = i;
      }
    }
    return { min: min, max: max, positive: positive / values.length, argmaxAbs: argmax };
  }

  // --- Drawing ----------------------------------------------------------------

  /** The canvas's 2-D context and a reusable ImageData of the given size. */
  function surface(canvas, width, height) {
    if (canvas.width !== width || canvas.height !== height || !canvas._cpImage) {
      canvas.width = width;
      canvas.height = height;
      canvas._cpContext = canvas.getContext("2d");
      canvas._cpImage = canvas._cpContext.createImageData(width, height);
      canvas._cpPixels = new Uint32Array(canvas._cpImage.data.buffer);
    }
    return { ctx: canvas._cpContext, image: canvas._cpImage, out: canvas._cpPixels };
  }

  function drawGray(canvas, values, width, height, low, high) {
    var s = surface(canvas, width, height);
    var ctx = s.ctx;
    var image = s.image;
    var out = s.out;
    var span = high > low ? high - low : 1;
    var scale = 255 / span;
    for (var i = 0; i < values.length; i++) {
      var level = (values[i] - low) * scale;
      level = level < 0 ? 0 : level > 255 ? 255 : level;
      out[i] = grayPacked[(level + 0.5) | 0];
    }
    ctx.putImageData(image, 0, 0);
  }

  function drawDiverging(canvas, values, width, height, limit) {
    var s = surface(canvas, width, height);
    var ctx = s.ctx;
    var image = s.image;
    var out = s.out;
    var scale = 127.5 / (limit > 0 ? limit : 1);
    for (var i = 0; i < values.length; i++) {
      var index = values[i] * scale + 127.5;
      index = index < 0 ? 0 : index > 255 ? 255 : index;
      out[i] = lutPacked[(index + 0.5) | 0];
    }
    ctx.putImageData(image, 0, 0);
  }

  function drawReLU(canvas, values, width, height, max) {
    var s = surface(canvas, width, height);
    var ctx = s.ctx;
    var image = s.image;
    var out = s.out;
    var scale = 255 / (max > 0 ? max : 1);
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      var level = v > 0 ? v * scale : 0;
      out[i] = grayPacked[level > 255 ? 255 : (level + 0.5) | 0];
    }
    ctx.putImageData(image, 0, 0);
  }

  // --- Building the interface --------------------------------------------------

  function view(canvas, marker, caption, extra) {
    return el("figure", { className: "cp-view" }, [
      el("div", { className: "cp-stage" }, [canvas, marker]),
    ].concat(extra || []).concat([caption]));
  }

  function build() {
    root.textContent = "";
    var presets = state.data.presets;

    // Kernel editor
    ui.preset = el("select", { id: "cp-preset" }, presets.map(function (preset) {
      return el("option", { value: preset.id, text: preset.label });
    }).concat([el("option", { value: "custom", text: "Custom: your own weights" })]));
    ui.size = el("select", { id: "cp-size" }, SIZES.map(function (n) {
      return el("option", { value: n, text: n + " \u00d7 " + n });
    }));
    ui.grid = el("div", {
      className: "cp-grid",
      role: "group",
      "aria-labelledby": "cp-grid-label",
      "aria-describedby": "cp-grid-help",
    });
    ui.weightSum = el("p", { className: "cp-note", id: "cp-weight-sum" });
    var negate = el("button", { type: "button", className: "cp-button", text: "Negate" });
    var transpose = el("button", { type: "button", className: "cp-button", text: "Transpose" });
    var zero = el("button", { type: "button", className: "cp-button", text: "All zero" });
    negate.addEventListener("click", function () {
      transform(function (w, r, c, k) { return -w[r * k + c]; });
    });
    transpose.addEventListener("click", function () {
      transform(function (w, r, c, k) { return w[c * k + r]; });
    });
    zero.addEventListener("click", function () {
      transform(function () { return 0; });
    });

    var kernelPanel = el("section", { className: "cp-panel cp-kernel", "aria-labelledby": "cp-kernel-heading" }, [
      el("h3", { className: "cp-heading", id: "cp-kernel-heading", text: "The kernel" }),
      el("div", { className: "cp-field" }, [el("label", { for: "cp-preset", text: "Preset" }), ui.preset]),
      el("div", { className: "cp-field" }, [el("label", { for: "cp-size", text: "Size" }), ui.size]),
      el("p", { className: "cp-grid-label", id: "cp-grid-label", text: "Weights" }),
      ui.grid,
      el("p", {
        className: "cp-note",
        id: "cp-grid-help",
        text: "Type a number in a cell. The arrow keys move between cells.",
      }),
      ui.weightSum,
      el("div", { className: "cp-buttons" }, [negate, transpose, zero]),
    ]);

    // Photo
    ui.file = el("input", { type: "file", id: "cp-file", accept: "image/*", "aria-describedby": "cp-file-help" });
    ui.resetPhoto = el("button", { type: "button", className: "cp-button", text: "Back to the sample photo" });
    ui.photoNote = el("p", { className: "cp-note", id: "cp-photo-note" });
    ui.inputCanvas = el("canvas", { id: "cp-input", role: "img", "aria-label": "The input photo" });
    ui.inputBox = el("div", { className: "cp-marker cp-marker-patch", "aria-hidden": "true", hidden: true });
    ui.inputCaption = el("figcaption", { text: "Input" });
    var photoPanel = el("section", { className: "cp-panel cp-photo", "aria-labelledby": "cp-photo-heading" }, [
      el("h3", { className: "cp-heading", id: "cp-photo-heading", text: "The photo" }),
      view(ui.inputCanvas, ui.inputBox, ui.inputCaption),
      el("div", { className: "cp-field cp-field-file" }, [
        el("label", { for: "cp-file", text: "Use your own photo" }),
        ui.file,
      ]),
      el("p", {
        className: "cp-note",
        id: "cp-file-help",
        text: "Your photo stays on your device: this page reads it in the browser and uploads nothing. " +
          "Photos larger than " + MAX_SIDE + " pixels are scaled down to keep the updates fast.",
      }),
      ui.photoNote,
      el("div", { className: "cp-buttons" }, [ui.resetPhoto]),
    ]);

    // Views
    ui.convCanvas = el("canvas", { id: "cp-conv", role: "img", "aria-label": "The feature map before ReLU" });
    ui.reluCanvas = el("canvas", { id: "cp-relu", role: "img", "aria-label": "The feature map after ReLU" });
    ui.convMark = el("div", { className: "cp-marker cp-marker-point", "aria-hidden": "true", hidden: true });
    ui.reluMark = el("div", { className: "cp-marker cp-marker-point", "aria-hidden": "true", hidden: true });
    ui.convBar = el("div", { className: "cp-colorbar", "aria-hidden": "true" });
    ui.reluBar = el("div", { className: "cp-colorbar", "aria-hidden": "true" });
    ui.convScale = el("div", { className: "cp-scale", "aria-hidden": "true" });
    ui.reluScale = el("div", { className: "cp-scale", "aria-hidden": "true" });
    ui.convCaption = el("figcaption", { text: "Feature map before ReLU" });
    ui.reluCaption = el("figcaption", { text: "Feature map after ReLU" });

    var views = el("div", { className: "cp-views" }, [
      view(ui.convCanvas, ui.convMark, ui.convCaption, [ui.convBar, ui.convScale]),
      view(ui.reluCanvas, ui.reluMark, ui.reluCaption, [ui.reluBar, ui.reluScale]),
    ]);

    // Inspector
    ui.probeRow = el("input", { type: "number", id: "cp-probe-row", min: 0, step: 1, inputmode: "numeric" });
    ui.probeCol = el("input", { type: "number", id: "cp-probe-col", min: 0, step: 1, inputmode: "numeric" });
    ui.patchGrid = el("div", { className: "cp-matrix", "aria-hidden": "true" });
    ui.weightGrid = el("div", { className: "cp-matrix", "aria-hidden": "true" });
    ui.productGrid = el("div", { className: "cp-matrix", "aria-hidden": "true" });
    ui.sum = el("p", { className: "cp-sum", id: "cp-sum" });
    // Spoken when the position is typed (pointing would be too chatty).
    ui.probeLive = el("p", { className: "cp-sr-only", id: "cp-probe-live", "aria-live": "polite" });
    var inspector = el("section", { className: "cp-panel cp-inspector", "aria-labelledby": "cp-inspector-heading" }, [
      el("h3", { className: "cp-heading", id: "cp-inspector-heading", text: "One output value, worked out" }),
      el("p", {
        className: "cp-note",
        text: "Point at a feature map, or tap it, to pick a position; or type the position here.",
      }),
      el("div", { className: "cp-probe-fields" }, [
        el("div", { className: "cp-field" }, [el("label", { for: "cp-probe-row", text: "Output row" }), ui.probeRow]),
        el("div", { className: "cp-field" }, [el("label", { for: "cp-probe-col", text: "Output column" }), ui.probeCol]),
      ]),
      el("div", { className: "cp-matrices" }, [
        el("div", { className: "cp-matrix-box" }, [el("p", { className: "cp-matrix-title", text: "Input patch" }), ui.patchGrid]),
        el("div", { className: "cp-times", "aria-hidden": "true", text: "\u00d7" }),
        el("div", { className: "cp-matrix-box" }, [el("p", { className: "cp-matrix-title", text: "Weights" }), ui.weightGrid]),
        el("div", { className: "cp-times", "aria-hidden": "true", text: "=" }),
        el("div", { className: "cp-matrix-box" }, [el("p", { className: "cp-matrix-title", text: "Products" }), ui.productGrid]),
      ]),
      ui.sum,
      ui.probeLive,
    ]);

    ui.status = el("p", { className: "cp-status", id: "cp-status", "aria-live": "polite" });
    ui.timing = el("p", { className: "cp-note cp-timing", id: "cp-timing" });

    root.appendChild(el("div", { className: "cp-controls" }, [kernelPanel, photoPanel]));
    root.appendChild(el("h3", { className: "cp-heading", text: "What the layer makes of it" }));
    root.appendChild(ui.status);
    root.appendChild(views);
    root.appendChild(ui.timing);
    root.appendChild(inspector);

    wire();
  }

  function wire() {
    ui.preset.addEventListener("change", function () {
      if (ui.preset.value !== "custom") {
        loadPreset(ui.preset.value);
      }
    });
    ui.size.addEventListener("change", function () {
      resize(parseInt(ui.size.value, 10));
    });
    ui.grid.addEventListener("input", function (event) {
      var cell = event.target;
      if (!cell.dataset || cell.dataset.index === undefined) {
        return;
      }
      var value = parseFloat(cell.value);
      state.weights[+cell.dataset.index] = isFinite(value) ? value : 0;
      cell.setAttribute("aria-invalid", cell.value !== "" && !isFinite(value) ? "true" : "false");
      markCustom();
      update();
    });
    ui.grid.addEventListener("keydown", onGridKey);
    ui.grid.addEventListener("focusin", function (event) {
      if (event.target.select) {
        event.target.select();
      }
    });

    ui.file.addEventListener("change", function () {
      var file = ui.file.files && ui.file.files[0];
      if (file) {
        loadOwnPhoto(file);
      }
    });
    ui.resetPhoto.addEventListener("click", function () {
      ui.file.value = "";
      loadSamplePhoto().then(function () {
        announce();
      });
    });

    [ui.convCanvas, ui.reluCanvas].forEach(function (canvas) {
      canvas.addEventListener("pointermove", pointAt);
      canvas.addEventListener("pointerdown", pointAt);
    });
    [ui.probeRow, ui.probeCol].forEach(function (field) {
      field.addEventListener("input", function () {
        var row = parseInt(ui.probeRow.value, 10);
        var col = parseInt(ui.probeCol.value, 10);
        if (isFinite(row) && isFinite(col)) {
          setProbe(row, col, false);
          ui.probeLive.textContent = ui.sum.textContent;
        }
      });
    });
  }

  function onGridKey(event) {
    var cell = event.target;
    if (!cell.dataset || cell.dataset.index === undefined) {
      return;
    }
    var k = state.size;
    var index = +cell.dataset.index;
    var row = Math.floor(index / k);
    var col = index % k;
    switch (event.key) {
      case "ArrowUp": row = Math.max(0, row - 1); break;
      case "ArrowDown": row = Math.min(k - 1, row + 1); break;
      case "ArrowLeft": col = Math.max(0, col - 1); break;
      case "ArrowRight": col = Math.min(k - 1, col + 1); break;
      case "Home": col = 0; if (event.ctrlKey) row = 0; break;
      case "End": col = k - 1; if (event.ctrlKey) row = k - 1; break;
      default: return;
    }
    event.preventDefault();
    ui.cells[row * k + col].focus();
  }

  function buildGrid() {
    var k = state.size;
    ui.grid.textContent = "";
    ui.grid.style.gridTemplateColumns = "repeat(" + k + ", auto)";
    ui.grid.setAttribute("data-size", k);
    ui.cells = [];
    for (var r = 0; r < k; r++) {
      for (var c = 0; c < k; c++) {
        var cell = el("input", {
          type: "number",
          step: "any",
          inputmode: "decimal",
          className: "cp-cell",
          id: "cp-w-" + r + "-" + c,
          "aria-label": "Weight, row " + (r + 1) + ", column " + (c + 1),
          "data-index": r * k + c,
          value: weightText(state.weights[r * k + c]),
        });
        ui.cells.push(cell);
        ui.grid.appendChild(cell);
      }
    }
    ui.size.value = String(k);
  }

  function fillGrid() {
    ui.cells.forEach(function (cell, i) {
      cell.value = weightText(state.weights[i]);
      cell.setAttribute("aria-invalid", "false");
    });
  }

  // --- Actions ------------------------------------------------------------------

  function findPreset(id) {
    for (var i = 0; i < state.data.presets.length; i++) {
      if (state.data.presets[i].id === id) {
        return state.data.presets[i];
      }
    }
    return null;
  }

  function loadPreset(id) {
    var preset = findPreset(id);
    if (!preset) {
      return;
    }
    var k = preset.weights.length;
    state.presetId = id;
    state.size = k;
    state.weights = new Float32Array(k * k);
    preset.weights.forEach(function (row, r) {
      row.forEach(function (w, c) {
        state.weights[r * k + c] = w;
      });
    });
    ui.preset.value = id;
    buildGrid();
    update();
    announce();
  }

  function markCustom() {
    state.presetId = null;
    ui.preset.value = "custom";
  }

  function resize(k) {
    var old = state.weights;
    var oldK = state.size;
    var next = new Float32Array(k * k);
    for (var r = 0; r < Math.min(k, oldK); r++) {
      for (var c = 0; c < Math.min(k, oldK); c++) {
        next[r * k + c] = old[r * oldK + c];
      }
    }
    state.size = k;
    state.weights = next;
    markCustom();
    buildGrid();
    update();
    announce();
  }

  function transform(fn) {
    var k = state.size;
    var old = state.weights;
    var next = new Float32Array(k * k);
    for (var r = 0; r < k; r++) {
      for (var c = 0; c < k; c++) {
        next[r * k + c] = fn(old, r, c, k);
      }
    }
    state.weights = next;
    markCustom();
    fillGrid();
    update();
    announce();
  }

  function setInput(input) {
    state.input = input;
    drawGray(ui.inputCanvas, input.gray, input.width, input.height, 0, 1);
    ui.inputCanvas.setAttribute(
      "aria-label",
      "Input: " + input.name + " in grayscale, " + input.width + " by " + input.height + " pixels"
    );
    ui.inputCaption.textContent = "Input: " + input.name + " (" + input.width + " \u00d7 " + input.height + ")";
    state.probe = null;
  }

  function loadSamplePhoto() {
    var photo = state.data.photo;
    var binary = atob(photo.png);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return decode(new Blob([bytes], { type: "image/png" }), Infinity).then(function (decoded) {
      var result = grayFromRGBA(decoded.rgba, decoded.width, decoded.height);
      if (decoded.width !== photo.width || decoded.height !== photo.height || result.checksum !== photo.checksum) {
        throw new Error("the decoded photo does not match the package's data");
      }
      setInput({ width: decoded.width, height: decoded.height, gray: result.gray, name: "the sample photo" });
      ui.photoNote.textContent = "Showing " + photo.description + ".";
      update();
    });
  }

  function loadOwnPhoto(file) {
    return decode(file, MAX_SIDE).then(function (decoded) {
      if (decoded.width < 5 || decoded.height < 5) {
        throw new Error("it is smaller than the largest kernel (5 by 5 pixels)");
      }
      var result = grayFromRGBA(decoded.rgba, decoded.width, decoded.height);
      setInput({ width: decoded.width, height: decoded.height, gray: result.gray, name: "your photo" });
      ui.photoNote.textContent = "Showing your photo \u201c" + file.name + "\u201d, read on this device.";
      update();
      announce();
    }).catch(function (error) {
      ui.photoNote.textContent = "Could not use \u201c" + file.name + "\u201d: " +
        (error && error.message && error.name !== "InvalidStateError" ? error.message : "it is not an image this browser can read") +
        ". The playground still shows the previous photo.";
      announce(ui.photoNote.textContent);
    });
  }

  // --- Updating -------------------------------------------------------------------

  function update() {
    if (!state.input || !state.weights) {
      return;
    }
    var start = performance.now();
    var input = state.input;
    var k = state.size;
    var result = correlate(input.gray, input.width, input.height, state.weights, k);
    state.conv = result.values;
    state.outW = result.width;
    state.outH = result.height;
    var stats = statistics(result.values);
    state.stats = stats;
    var limit = Math.max(Math.abs(stats.min), Math.abs(stats.max));
    drawDiverging(ui.convCanvas, result.values, result.width, result.height, limit);
    drawReLU(ui.reluCanvas, result.values, result.width, result.height, stats.max);
    var elapsed = performance.now() - start;
    state.timings.push(elapsed);
    if (state.timings.length > 200) {
      state.timings.shift();
    }

    ui.timing.textContent = "Last update: " + elapsed.toFixed(1) + " ms in this browser, for " +
      (result.width * result.height).toLocaleString("en") + " outputs of " + k * k + " products each.";
    ui.convScale.textContent = "";
    ui.convScale.appendChild(el("span", { text: fmt(-limit, 2) }));
    ui.convScale.appendChild(el("span", { text: "0" }));
    ui.convScale.appendChild(el("span", { text: fmt(limit, 2) }));
    ui.reluScale.textContent = "";
    ui.reluScale.appendChild(el("span", { text: "0" }));
    ui.reluScale.appendChild(el("span", { text: fmt(Math.max(stats.max, 0), 2) }));
    ui.convCaption.textContent = "Feature map before ReLU (" + result.width + " \u00d7 " + result.height +
      "): blue below zero, red above";
    ui.reluCaption.textContent = "After ReLU: black is zero, white is the largest value";
    ui.convCanvas.setAttribute("aria-label", "Feature map before ReLU, " + result.width + " by " + result.height +
      " values from " + fmt(stats.min, 2) + " to " + fmt(stats.max, 2) + ", blue below zero and red above");
    ui.reluCanvas.setAttribute("aria-label", "Feature map after ReLU: " + Math.round(stats.positive * 100) +
      " percent of the values are above zero");

    var sum = 0;
    for (var i = 0; i < state.weights.length; i++) {
      sum += state.weights[i];
    }
    ui.weightSum.textContent = "The weights sum to " + trim(sum) +
      (Math.abs(sum) < 1e-9 ? ": a flat patch gives 0." : ": a flat patch of brightness b gives " + trim(sum) + " \u00d7 b.");

    if (!state.probe) {
      var best = stats.argmaxAbs;
      state.probe = { row: Math.floor(best / result.width), col: best % result.width };
    }
    setProbe(state.probe.row, state.probe.col, true);
    scheduleAnnounce();
  }

  function trim(value) {
    return weightText(value).replace("-", "\u2212");
  }

  // --- The inspector ----------------------------------------------------------------

  function pointAt(event) {
    var canvas = event.currentTarget;
    var rect = canvas.getBoundingClientRect();
    if (!rect.width || !rect.height) {
      return;
    }
    var col = Math.floor((event.clientX - rect.left) / rect.width * state.outW);
    var row = Math.floor((event.clientY - rect.top) / rect.height * state.outH);
    setProbe(row, col, true);
  }

  function setProbe(row, col, syncFields) {
    if (!state.conv) {
      return;
    }
    row = Math.max(0, Math.min(state.outH - 1, row));
    col = Math.max(0, Math.min(state.outW - 1, col));
    state.probe = { row: row, col: col };
    ui.probeRow.max = state.outH - 1;
    ui.probeCol.max = state.outW - 1;
    if (syncFields) {
      ui.probeRow.value = row;
      ui.probeCol.value = col;
    }
    var k = state.size;
    var input = state.input;
    var patch = [];
    var products = [];
    var sum = 0;
    for (var i = 0; i < k; i++) {
      for (var j = 0; j < k; j++) {
        var value = input.gray[(row + i) * input.width + col + j];
        var product = value * state.weights[i * k + j];
        patch.push(value);
        products.push(product);
        sum += product;
      }
    }
    matrix(ui.patchGrid, patch, k, 3);
    matrix(ui.weightGrid, Array.prototype.slice.call(state.weights), k, null);
    matrix(ui.productGrid, products, k, 3);
    var stored = state.conv[row * state.outW + col];
    ui.sum.textContent = "At output row " + row + ", column " + col + ": the " + k * k +
      " products of the input patch (rows " + row + " to " + (row + k - 1) + ", columns " + col + " to " +
      (col + k - 1) + ") and the weights add up to " + fmt(stored, 4) + ". After ReLU: " +
      fmt(Math.max(stored, 0), 4) + ".";
    place(ui.inputBox, col, row, k, k, input.width, input.height);
    place(ui.convMark, col, row, 1, 1, state.outW, state.outH);
    place(ui.reluMark, col, row, 1, 1, state.outW, state.outH);
  }

  function matrix(node, values, k, digits) {
    node.textContent = "";
    node.style.gridTemplateColumns = "repeat(" + k + ", auto)";
    values.forEach(function (value) {
      var cell = el("span", { text: digits === null ? trim(value) : fmt(value, digits) });
      if (value < 0) {
        cell.className = "cp-negative";
      }
      node.appendChild(cell);
    });
  }

  function place(marker, x, y, w, h, width, height) {
    marker.hidden = false;
    marker.style.left = (x / width * 100) + "%";
    marker.style.top = (y / height * 100) + "%";
    marker.style.width = (w / width * 100) + "%";
    marker.style.height = (h / height * 100) + "%";
  }

  // --- The description for screen readers -----------------------------------------------

  var announceTimer = null;

  function scheduleAnnounce() {
    if (announceTimer !== null) {
      clearTimeout(announceTimer);
    }
    announceTimer = setTimeout(function () {
      announceTimer = null;
      announce();
    }, 500);
  }

  function describe() {
    var preset = state.presetId ? findPreset(state.presetId) : null;
    var k = state.size;
    var stats = state.stats;
    var sum = 0;
    for (var i = 0; i < state.weights.length; i++) {
      sum += state.weights[i];
    }
    return "Showing " + state.input.name + " (" + state.input.width + " by " + state.input.height +
      " pixels) filtered with " + (preset ? "the preset \u201c" + preset.label + "\u201d" : "your own weights") +
      ", a " + k + " by " + k + " kernel whose weights sum to " + trim(sum) + ". The feature map has " +
      state.outW + " by " + state.outH + " values from " + fmt(stats.min, 2) + " to " + fmt(stats.max, 2) +
      ". After ReLU, " + Math.round(stats.positive * 100) + " percent of them are above zero; the rest become 0.";
  }

  function announce(text) {
    if (announceTimer !== null) {
      clearTimeout(announceTimer);
      announceTimer = null;
    }
    if (state.input && state.stats) {
      ui.status.textContent = text || describe();
    }
  }

  // --- Start ------------------------------------------------------------------------------

  function start() {
    var palette = state.data.colormap.lut;
    lutPacked = new Uint32Array(256);
    grayPacked = new Uint32Array(256);
    for (var i = 0; i < 256; i++) {
      var color = palette[Math.round(i / 255 * (palette.length - 1))];
      lutPacked[i] = pack(color[0], color[1], color[2]);
      grayPacked[i] = pack(i, i, i);
    }
    build();
    var stops = [];
    for (var s = 0; s <= 10; s++) {
      var c = palette[Math.round(s / 10 * (palette.length - 1))];
      stops.push("rgb(" + c[0] + "," + c[1] + "," + c[2] + ") " + s * 10 + "%");
    }
    ui.convBar.style.backgroundImage = "linear-gradient(to right, " + stops.join(", ") + ")";
    ui.reluBar.style.backgroundImage = "linear-gradient(to right, #000, #fff)";

    var first = findPreset(state.data["default"]) || state.data.presets[0];
    state.presetId = first.id;
    state.size = first.weights.length;
    state.weights = new Float32Array([].concat.apply([], first.weights));
    ui.preset.value = first.id;
    buildGrid();
    return loadSamplePhoto().then(function () {
      announce();
    });
  }

  function fail(error) {
    root.textContent = "";
    root.appendChild(el("p", {
      className: "cp-error",
      role: "alert",
      text: "The playground could not start: " + (error && error.message ? error.message : error) + ".",
    }));
    console.error("conv-playground:", error);
  }

  function encode(floats) {
    var bytes = new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
    var chunks = [];
    for (var i = 0; i < bytes.length; i += 0x8000) {
      chunks.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000)));
    }
    return btoa(chunks.join(""));
  }

  // data.js (written by the build from the convbook package) sets this.
  var ready = new Promise(function (resolve, reject) {
    if (window.convPlaygroundData) {
      resolve(window.convPlaygroundData);
    } else {
      reject(new Error("its data (playground/data.js) did not load"));
    }
  }).then(function (data) {
    state.data = data;
    return start();
  }).then(function () {
    root.setAttribute("data-ready", "true");
  }, fail);

  /** For the tests and the benchmark (read-only views of the state). */
  window.convPlayground = {
    ready: ready,
    timings: state.timings,
    snapshot: function () {
      return {
        preset: state.presetId,
        size: state.size,
        weights: Array.prototype.slice.call(state.weights),
        input: { width: state.input.width, height: state.input.height, name: state.input.name },
        output: { width: state.outW, height: state.outH },
        stats: state.stats,
        probe: state.probe,
      };
    },
    /** The input's gray values as base64 of little-endian float32. */
    inputBase64: function () {
      return encode(state.input.gray);
    },
    /** The feature map before ReLU as base64 of little-endian float32. */
    featureMapBase64: function () {
      return encode(state.conv);
    },
  };
})();
