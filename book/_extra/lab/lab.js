/*
 * The CNN lab of "The Convolutional Layer" book (book/lab.md, issue 23).
 *
 * The deeper chapter's trained network (convbook.LeNetDigits, seed 0), run in
 * the reader's browser on a digit they draw or choose: the input as the
 * network sees it, every layer's maps and the class probabilities, updated
 * while drawing. The numbers come from cnn-core.js (window.ConvbookCnn), the
 * book's one browser core, which the playground uses too; what both pages
 * share besides (words, elements, the start-up error) is in page.js
 * (window.ConvbookPage). The network and the test digits come from data.js,
 * which the build writes from the convbook package (book/_ext/convbook_lab.py).
 *
 * Its words are in the page's language, <html lang>: Korean on the Korean
 * edition's pages (/ko/), English otherwise; all of them are in MESSAGES.
 */
(function () {
  "use strict";

  var root = document.getElementById("conv-lab");
  var page = window.ConvbookPage;
  if (!root || !page) {
    return;
  }
  var core = window.ConvbookCnn;
  var el = page.el;

  /** The canvas's own pixels (fixed, so that a drawing gives the same input on every screen). */
  var CANVAS_SIDE = 280;
  /** The pen's width, in canvas pixels: about a tenth of the digit's height, as in the digits' bitmaps. */
  var PEN_WIDTH = 26;
  /** Test digits in the gallery: this many of each class, the first in the test set's order. */
  var GALLERY_PER_CLASS = 2;

  var MESSAGES = {
    en: {
      drawHeading: "Draw a digit",
      canvasLabel: "Drawing area: draw a digit from 0 to 9 with the mouse, a finger or a pen",
      drawHelp: "Draw one digit, large, in the square. Without a pointer, choose a test digit below instead.",
      clear: "Clear",
      photoLabel: "Or use a photo of a handwritten digit",
      photoHelp: "Dark ink on light paper, one digit, cropped close. The photo stays on your device: this page " +
        "reads it in the browser and uploads nothing.",
      photoShowing: "The square shows your photo, {name}; its ink is the darker side of Otsu's threshold.",
      photoUnreadable: "{name} could not be read as an image: choose a PNG, JPEG, GIF, WebP or BMP file.",
      galleryHeading: "Or choose a test digit",
      galleryHelp: "{count} of the {total} test digits the network never saw while training.",
      galleryButton: "Test digit {index}, labelled {label}",
      seesHeading: "What the network sees",
      inputAria: "The input as the network sees it: 8 by 8 values, {ink} of them with ink",
      inputCaption: "The input: 8 \u00d7 8 ink counts divided by 16",
      empty: "The square is empty: draw a digit, or choose a test digit.",
      reads: "The network reads {digit}, with probability {percent}%.",
      readsLabelled: "The network reads {digit}, with probability {percent}%; the test digit is labelled {label}.",
      probabilitiesHeading: "Probability of each digit",
      layersHeading: "Every layer",
      conv1: "Convolution 1, before ReLU: 8 maps of 8 \u00d7 8",
      relu1: "After ReLU",
      pool1: "After 2 \u00d7 2 max pooling: 8 maps of 4 \u00d7 4",
      conv2: "Convolution 2, before ReLU: 16 maps of 4 \u00d7 4",
      relu2: "After ReLU",
      pool2: "After 2 \u00d7 2 max pooling: 16 maps of 2 \u00d7 2",
      mapAria: "{layer}, channel {channel}: values from {min} to {max}",
      scaleSigned: "Blue below zero, red above, white at zero; one scale for the layer, up to {max}.",
      scalePositive: "Black is zero, white the layer's largest value, {max}.",
      timing: "Last update: {ms} ms in this browser.",
      editHeading: "Edit the network",
      editHelp: "Change a weight or the bias of a filter of the first convolutional layer, or switch channels " +
        "off (their maps become zero). The test accuracy is computed again over all {total} test digits.",
      filterLabel: "Filter of convolution 1",
      filterOption: "Channel {channel}",
      weightCell: "Weight, row {row}, column {col}",
      biasLabel: "Bias",
      weightProblem: "{cell}: {typed} is not a number from \u2212{limit} to {limit}. The network keeps {value}.",
      channelsConv1: "Channels of convolution 1 that are on",
      channelsConv2: "Channels of convolution 2 that are on",
      channelBox: "Channel {channel}",
      reset: "Reset the network",
      accuracy: "Test accuracy: {percent}% ({right} of {total} test digits read right; computed in {ms} ms).",
      wrongHeading: "Test digits it reads wrong",
      wrongButton: "Test digit {index}, labelled {label}, read as {read}",
      noneWrong: "None.",
      moreWrong: "And {count} more.",
      couldNotStart: "The lab could not start: {reason}.",
      noData: "its data (lab/data.js) did not load",
    },
    ko: {
      drawHeading: "숫자 그리기",
      canvasLabel: "그리기 영역: 마우스, 손가락 또는 펜으로 0부터 9까지의 숫자 하나를 그리세요",
      drawHelp: "네모 안에 숫자 하나를 크게 그리세요. 포인터가 없으면 아래에서 테스트 숫자를 고르세요.",
      clear: "지우기",
      photoLabel: "또는 손글씨 숫자 사진 쓰기",
      photoHelp: "밝은 종이에 어두운 잉크로 쓴 숫자 하나를 가까이 잘라 찍은 사진이 좋습니다. 사진은 기기를 떠나지 않습니다. " +
        "이 페이지가 브라우저 안에서 읽을 뿐, 아무것도 업로드하지 않습니다.",
      photoShowing: "네모 안에 사진({name})이 보입니다. 오츠(Otsu)의 임계값보다 어두운 쪽이 잉크입니다.",
      photoUnreadable: "{name}: 이미지로 읽을 수 없습니다. PNG, JPEG, GIF, WebP 또는 BMP 파일을 고르세요.",
      galleryHeading: "또는 테스트 숫자 고르기",
      galleryHelp: "신경망이 학습 중에 보지 않은 테스트 숫자 {total}개 가운데 {count}개입니다.",
      galleryButton: "테스트 숫자 {index}번, 레이블 {label}",
      seesHeading: "신경망이 보는 것",
      inputAria: "신경망이 보는 입력: 8 × 8 값 가운데 잉크가 있는 값 {ink}개",
      inputCaption: "입력: 8 × 8 잉크 개수를 16으로 나눈 값",
      empty: "네모가 비어 있습니다. 숫자를 그리거나 테스트 숫자를 고르세요.",
      reads: "신경망이 읽은 숫자: {digit}, 확률 {percent}%.",
      readsLabelled: "신경망이 읽은 숫자: {digit}, 확률 {percent}%. 이 테스트 숫자의 레이블: {label}.",
      probabilitiesHeading: "숫자별 확률",
      layersHeading: "모든 층",
      conv1: "합성곱 1, ReLU 전: 8 × 8 맵 8개",
      relu1: "ReLU 후",
      pool1: "2 × 2 최대 풀링 후: 4 × 4 맵 8개",
      conv2: "합성곱 2, ReLU 전: 4 × 4 맵 16개",
      relu2: "ReLU 후",
      pool2: "2 × 2 최대 풀링 후: 2 × 2 맵 16개",
      mapAria: "{layer}, 채널 {channel}: 값 {min}부터 {max}까지",
      scaleSigned: "0보다 작으면 파랑, 크면 빨강, 0은 흰색입니다. 층 전체가 한 척도를 쓰며 최댓값은 {max}입니다.",
      scalePositive: "검정은 0, 흰색은 이 층의 최댓값 {max}입니다.",
      timing: "마지막 갱신: 이 브라우저에서 {ms}ms.",
      editHeading: "신경망 고치기",
      editHelp: "첫 번째 합성곱 층에 있는 필터의 가중치나 편향을 바꾸거나, 채널을 끄세요(끈 채널의 맵은 0이 됩니다). " +
        "테스트 숫자 {total}개 전체에 대해 테스트 정확도를 다시 계산합니다.",
      filterLabel: "합성곱 1의 필터",
      filterOption: "채널 {channel}",
      weightCell: "가중치, {row}행 {col}열",
      biasLabel: "편향",
      weightProblem: "{cell}: {typed}은(는) \u2212{limit}부터 {limit}까지의 숫자가 아닙니다. 신경망은 이전 값({value})을 그대로 씁니다.",
      channelsConv1: "켜져 있는 합성곱 1의 채널",
      channelsConv2: "켜져 있는 합성곱 2의 채널",
      channelBox: "채널 {channel}",
      reset: "신경망 되돌리기",
      accuracy: "테스트 정확도: {percent}%(테스트 숫자 {total}개 중 {right}개를 맞게 읽음, 계산 {ms}ms).",
      wrongHeading: "틀리게 읽는 테스트 숫자",
      wrongButton: "테스트 숫자 {index}번, 레이블 {label}, 읽은 숫자 {read}",
      noneWrong: "없습니다.",
      moreWrong: "외 {count}개.",
      couldNotStart: "실험실을 시작하지 못했습니다: {reason}.",
      noData: "데이터(lab/data.js)를 불러오지 못했습니다",
    },
  };

  var LANG = page.language;
  var t = page.translator(MESSAGES);

  /** A number as the page shows it: up to 3 significant decimals, no "-0". */
  function fmt(value) {
    var rounded = Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
    return rounded === "-0.00" || rounded === "-0.0" ? rounded.slice(1) : rounded;
  }

  function percent(p) {
    return (p * 100).toFixed(1);
  }

  var LAYERS = ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2"];

  /** Wrong test digits shown at most, as buttons; the rest are counted. */
  var WRONG_SHOWN = 40;

  var state = {
    network: null, // the network in use, edited or not
    original: null, // the trained network, never edited
    off: { conv1: [], conv2: [] }, // switched-off channels
    filter: 0, // the filter of conv1 the grid edits
    problems: {}, // grid cell -> what is wrong with what was typed there
    accuracy: null, // {accuracy, wrong, ms}
    digits: null,
    input: null, // Float32Array(64) or null (nothing drawn)
    source: "drawing", // or "gallery" or "photo"
    galleryIndex: -1,
    result: null,
    drawing: false,
    last: null,
    pending: false,
    eventTime: 0,
    timings: [],
  };
  var ui = { maps: {} };

  // --- Building the page -------------------------------------------------------------------

  function build() {
    root.textContent = "";
    var layout = el("div", { className: "ci-layout" });

    // Drawing
    ui.canvas = el("canvas", {
      className: "cl-canvas",
      width: CANVAS_SIDE,
      height: CANVAS_SIDE,
      role: "img",
      "aria-label": t("canvasLabel"),
    });
    ui.clear = el("button", { type: "button", id: "cl-clear", className: "ci-button cl-button", text: t("clear") });
    ui.file = el("input", {
      type: "file",
      id: "cl-photo",
      accept: "image/*",
      "aria-describedby": "cl-photo-help cl-photo-note",
    });
    ui.photoNote = el("p", { className: "cl-help", id: "cl-photo-note", "aria-live": "polite" });
    ui.file.addEventListener("change", function () {
      if (ui.file.files && ui.file.files[0]) {
        loadPhoto(ui.file.files[0]);
      }
    });
    var draw = el("section", { className: "ci-panel cl-draw", "aria-labelledby": "cl-draw-heading" }, [
      el("h3", { className: "ci-heading", id: "cl-draw-heading", text: t("drawHeading") }),
      el("p", { className: "cl-help", text: t("drawHelp") }),
      ui.canvas,
      el("div", { className: "cl-actions" }, [ui.clear]),
      el("label", { className: "cl-photo-label", "for": "cl-photo", text: t("photoLabel") }),
      el("p", { className: "cl-help", id: "cl-photo-help", text: t("photoHelp") }),
      ui.file,
      ui.photoNote,
    ]);

    // What the network sees
    ui.input = el("canvas", { className: "cl-input", width: 8, height: 8, role: "img" });
    ui.prediction = el("p", { className: "cl-prediction", id: "cl-prediction" });
    ui.live = el("p", { className: "ci-sr-only", id: "cl-announce", role: "status", "aria-live": "polite", "aria-atomic": "true" });
    ui.bars = el("ol", { className: "cl-bars", "aria-labelledby": "cl-bars-heading" });
    ui.barRows = [];
    for (var d = 0; d < 10; d++) {
      var fill = el("span", { className: "cl-bar-fill" });
      var text = el("span", { className: "cl-bar-text" });
      var row = el("li", { className: "cl-bar" }, [
        el("span", { className: "cl-bar-digit", text: String(d) }),
        el("span", { className: "cl-bar-track", "aria-hidden": "true" }, [fill]),
        text,
      ]);
      ui.bars.appendChild(row);
      ui.barRows.push({ row: row, fill: fill, text: text });
    }
    ui.timing = el("p", { className: "cl-timing" });
    var sees = el("section", { className: "ci-panel cl-sees", "aria-labelledby": "cl-sees-heading" }, [
      el("h3", { className: "ci-heading", id: "cl-sees-heading", text: t("seesHeading") }),
      el("figure", { className: "cl-figure" }, [ui.input, el("figcaption", { text: t("inputCaption") })]),
      ui.prediction,
      ui.live,
      el("h4", { className: "cl-subheading", id: "cl-bars-heading", text: t("probabilitiesHeading") }),
      ui.bars,
      ui.timing,
    ]);

    // Gallery
    ui.gallery = el("div", { className: "cl-gallery", role: "group", "aria-labelledby": "cl-gallery-heading" });
    ui.galleryButtons = [];
    galleryIndexes().forEach(function (index) {
      var thumb = el("canvas", { className: "cl-thumb", width: 8, height: 8, "aria-hidden": "true" });
      paintGray(thumb, state.digits.images[index], 1);
      var button = el("button", {
        type: "button",
        className: "ci-button cl-gallery-button",
        "aria-pressed": "false",
        "aria-label": t("galleryButton", { index: index + 1, label: state.digits.labels[index] }),
        "data-index": index,
      }, [thumb]);
      button.addEventListener("click", function () {
        chooseTestDigit(index);
      });
      ui.gallery.appendChild(button);
      ui.galleryButtons.push(button);
    });
    var gallery = el("section", { className: "ci-panel cl-gallery-panel", "aria-labelledby": "cl-gallery-heading" }, [
      el("h3", { className: "ci-heading", id: "cl-gallery-heading", text: t("galleryHeading") }),
      el("p", { className: "cl-help", text: t("galleryHelp", { count: ui.galleryButtons.length, total: state.digits.count }) }),
      ui.gallery,
    ]);

    // Every layer
    var layers = el("section", { className: "ci-panel cl-layers", "aria-labelledby": "cl-layers-heading" }, [
      el("h3", { className: "ci-heading", id: "cl-layers-heading", text: t("layersHeading") }),
    ]);
    LAYERS.forEach(function (name) {
      var channels = name.slice(-1) === "1" ? 8 : 16;
      var grid = el("div", { className: "cl-maps cl-maps-" + channels });
      var canvases = [];
      for (var c = 0; c < channels; c++) {
        var side = name === "conv1" || name === "relu1" ? 8 : name === "pool2" ? 2 : 4;
        var map = el("canvas", { className: "cl-map", width: side, height: side, role: "img" });
        grid.appendChild(map);
        canvases.push(map);
      }
      var scale = el("p", { className: "cl-scale" });
      layers.appendChild(el("figure", { className: "cl-figure cl-layer" }, [
        el("figcaption", { className: "cl-layer-title", text: t(name) }),
        grid,
        scale,
      ]));
      ui.maps[name] = { canvases: canvases, scale: scale };
    });

    // Read back at every frame while drawing: keep the pixels where the CPU reads them.
    ui.context = ui.canvas.getContext("2d", { willReadFrequently: true });
    // Two columns when wide: the inputs and the editor, then what the network makes of them.
    layout.appendChild(el("div", { className: "ci-column" }, [draw, gallery, buildEditor()]));
    layout.appendChild(el("div", { className: "ci-column" }, [sees, layers]));
    root.appendChild(layout);

    ui.clear.addEventListener("click", clearDrawing);
    ui.canvas.addEventListener("pointerdown", onPointerDown);
    ui.canvas.addEventListener("pointermove", onPointerMove);
    ui.canvas.addEventListener("pointerup", onPointerUp);
    ui.canvas.addEventListener("pointercancel", onPointerUp);
  }

  function galleryIndexes() {
    var chosen = [];
    var seen = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (var n = 0; n < state.digits.count; n++) {
      var label = state.digits.labels[n];
      if (seen[label] < GALLERY_PER_CLASS) {
        seen[label] += 1;
        chosen.push(n);
      }
    }
    return chosen;
  }

  // --- Drawing -----------------------------------------------------------------------------

  function canvasPoint(event) {
    // Inside the border: clientLeft/clientTop are its widths, clientWidth/clientHeight the drawing's size.
    var rect = ui.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left - ui.canvas.clientLeft) * CANVAS_SIDE) / ui.canvas.clientWidth,
      y: ((event.clientY - rect.top - ui.canvas.clientTop) * CANVAS_SIDE) / ui.canvas.clientHeight,
    };
  }

  function inkColour() {
    var colour = getComputedStyle(root).getPropertyValue("--cl-ink").trim();
    return colour || "#000";
  }

  function stroke(from, to) {
    var context = ui.context;
    context.strokeStyle = inkColour();
    context.fillStyle = context.strokeStyle;
    context.lineWidth = PEN_WIDTH;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.beginPath();
    if (from.x === to.x && from.y === to.y) {
      // A tap: a round dot (a canvas strokes nothing for a line of length zero).
      context.arc(to.x, to.y, PEN_WIDTH / 2, 0, 2 * Math.PI);
      context.fill();
      return;
    }
    context.moveTo(from.x, from.y);
    context.lineTo(to.x, to.y);
    context.stroke();
  }

  function onPointerDown(event) {
    if (event.button !== undefined && event.button > 0) {
      return;
    }
    event.preventDefault();
    if (state.source !== "drawing") {
      startDrawing();
    }
    state.drawing = true;
    ui.canvas.setPointerCapture && ui.canvas.setPointerCapture(event.pointerId);
    state.last = canvasPoint(event);
    stroke(state.last, state.last);
    scheduleUpdate(event);
  }

  function onPointerMove(event) {
    if (!state.drawing) {
      return;
    }
    event.preventDefault();
    var points = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    if (!points.length) {
      points = [event];
    }
    points.forEach(function (point) {
      var next = canvasPoint(point);
      stroke(state.last, next);
      state.last = next;
    });
    scheduleUpdate(event);
  }

  function onPointerUp(event) {
    if (!state.drawing) {
      return;
    }
    state.drawing = false;
    state.eventTime = event && event.timeStamp ? event.timeStamp : performance.now();
    state.last = null;
    readDrawing();
    update();
    announce();
  }

  function clearCanvas() {
    ui.context.clearRect(0, 0, CANVAS_SIDE, CANVAS_SIDE);
  }

  /** A photo, scaled to fit the square on white: its ink is found by Otsu's threshold. */
  function loadPhoto(file) {
    var name = file.name;
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(CANVAS_SIDE / bitmap.width, CANVAS_SIDE / bitmap.height);
      var width = Math.max(1, Math.round(bitmap.width * scale));
      var height = Math.max(1, Math.round(bitmap.height * scale));
      clearCanvas();
      ui.context.fillStyle = "#fff";
      ui.context.fillRect(0, 0, CANVAS_SIDE, CANVAS_SIDE);
      ui.context.drawImage(bitmap, Math.floor((CANVAS_SIDE - width) / 2), Math.floor((CANVAS_SIDE - height) / 2),
        width, height);
      bitmap.close();
      state.source = "photo";
      setPressed(-1);
      state.eventTime = performance.now();
      readDrawing();
      update();
      announce();
      ui.photoNote.textContent = t("photoShowing", { name: name });
    }).catch(function () {
      ui.file.value = "";
      ui.photoNote.textContent = t("photoUnreadable", { name: name });
    });
  }

  /** An empty square to draw in: no photo, no test digit chosen. */
  function startDrawing() {
    ui.file.value = "";
    ui.photoNote.textContent = "";
    clearCanvas();
    state.source = "drawing";
    setPressed(-1);
  }

  function clearDrawing() {
    startDrawing();
    state.input = null;
    update();
    announce();
  }

  function canvasRGBA() {
    return ui.context.getImageData(0, 0, CANVAS_SIDE, CANVAS_SIDE).data;
  }

  function readDrawing() {
    var rgba = canvasRGBA();
    var ink = state.source === "photo" ? core.inkFromPhoto(rgba, CANVAS_SIDE, CANVAS_SIDE, state.gray) :
      core.inkFromRGBA(rgba, CANVAS_SIDE, CANVAS_SIDE);
    state.input = core.digitFromInk(ink, CANVAS_SIDE, CANVAS_SIDE);
  }

  /** One update per frame while drawing, timed from the first event it answers. */
  function scheduleUpdate(event) {
    if (state.pending) {
      return;
    }
    state.pending = true;
    state.eventTime = event && event.timeStamp ? event.timeStamp : performance.now();
    requestAnimationFrame(function () {
      state.pending = false;
      readDrawing();
      update();
    });
  }

  function setPressed(index) {
    state.galleryIndex = index;
    ui.galleryButtons.forEach(function (button) {
      button.setAttribute("aria-pressed", Number(button.getAttribute("data-index")) === index ? "true" : "false");
    });
  }

  function chooseTestDigit(index) {
    clearCanvas();
    state.source = "gallery";
    setPressed(index);
    state.input = new Float32Array(state.digits.images[index]);
    state.eventTime = performance.now();
    update();
    announce();
  }


  // --- Edit the network -----------------------------------------------------------------------

  function buildEditor() {
    ui.filter = el("select", { id: "cl-filter" });
    for (var f = 0; f < 8; f++) {
      ui.filter.appendChild(el("option", { value: f, text: t("filterOption", { channel: f + 1 }) }));
    }
    ui.filter.addEventListener("change", function () {
      state.filter = Number(ui.filter.value);
      state.problems = {};
      fillGrid();
    });
    ui.grid = el("div", { className: "cl-grid", role: "group", "aria-labelledby": "cl-filter-label" });
    ui.cells = [];
    for (var k = 0; k < 10; k++) {
      var isBias = k === 9;
      var label = isBias ? t("biasLabel") : t("weightCell", { row: Math.floor(k / 3) + 1, col: (k % 3) + 1 });
      var input = el("input", {
        type: "text",
        inputmode: "decimal",
        className: "cl-cell" + (isBias ? " cl-bias" : ""),
        id: "cl-cell-" + k,
        "aria-label": label,
        "aria-describedby": "cl-edit-problem",
        autocomplete: "off",
        spellcheck: "false",
        "data-cell": k,
      });
      input.addEventListener("input", onCellInput);
      ui.cells.push(input);
      ui.grid.appendChild(isBias ? el("label", { className: "cl-bias-label", "for": input.id, text: t("biasLabel") }) : input);
      if (isBias) {
        ui.grid.appendChild(input);
      }
    }
    ui.problem = el("p", { className: "ci-error", id: "cl-edit-problem", "aria-live": "polite" });
    ui.switches = {};
    var fieldsets = ["conv1", "conv2"].map(function (layer) {
      var count = layer === "conv1" ? 8 : 16;
      var boxes = [];
      var set = el("fieldset", { className: "cl-switches" }, [
        el("legend", { text: t(layer === "conv1" ? "channelsConv1" : "channelsConv2") }),
      ]);
      for (var c = 0; c < count; c++) {
        var box = el("input", { type: "checkbox", id: "cl-" + layer + "-on-" + c, checked: true, "data-channel": c });
        box.addEventListener("change", onSwitch.bind(null, layer, c));
        set.appendChild(el("label", { className: "cl-switch", "for": box.id }, [
          box,
          el("span", { "aria-hidden": "true", text: String(c + 1) }),
          el("span", { className: "ci-sr-only", text: t("channelBox", { channel: c + 1 }) }),
        ]));
        boxes.push(box);
      }
      ui.switches[layer] = boxes;
      return set;
    });
    ui.reset = el("button", { type: "button", id: "cl-reset", className: "ci-button cl-button", text: t("reset") });
    ui.reset.addEventListener("click", resetNetwork);
    ui.accuracy = el("p", { className: "cl-accuracy", role: "status" });
    ui.wrong = el("div", { className: "cl-gallery cl-wrong" });
    ui.wrongMore = el("p", { className: "cl-help" });
    return el("section", { className: "ci-panel cl-edit", "aria-labelledby": "cl-edit-heading" }, [
      el("h3", { className: "ci-heading", id: "cl-edit-heading", text: t("editHeading") }),
      el("p", { className: "cl-help", text: t("editHelp", { total: state.digits.count }) }),
      el("div", { className: "ci-field" }, [
        el("label", { "for": "cl-filter", id: "cl-filter-label", text: t("filterLabel") }),
        ui.filter,
      ]),
      ui.grid,
      ui.problem,
      fieldsets[0],
      fieldsets[1],
      el("div", { className: "cl-actions" }, [ui.reset]),
      ui.accuracy,
      el("h4", { className: "cl-subheading", text: t("wrongHeading") }),
      ui.wrong,
      ui.wrongMore,
    ]);
  }

  /** The network's number a grid cell shows: weight k (0-8) or the bias (9) of the chosen filter. */
  function cellValue(network, k) {
    return k === 9 ? network["conv1.bias"].data[state.filter] : network["conv1.weight"].data[state.filter * 9 + k];
  }

  function fillGrid() {
    ui.cells.forEach(function (input, k) {
      // Rounded for the eye; the network keeps the exact value until the cell is edited.
      input.value = String(Number(cellValue(state.network, k).toFixed(3)));
      input.removeAttribute("aria-invalid");
    });
    ui.problem.textContent = "";
  }

  /**
   * A weight as typed: {value} (float32) or null. A comma is read as the decimal
   * point when it is the only separator (the decimal keypad of comma locales).
   */
  function parseWeight(text) {
    var typed = String(text).trim().replace(/\u2212/g, "-");
    if (/^[+-]?\d*,\d+$/.test(typed)) {
      typed = typed.replace(",", ".");
    }
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(typed)) {
      return null;
    }
    var value = Number(typed);
    var limit = state.limit;
    if (!isFinite(value) || Math.abs(value) > limit) {
      return null;
    }
    return Math.fround(value) + 0;
  }

  function onCellInput(event) {
    var k = Number(event.target.getAttribute("data-cell"));
    var value = parseWeight(event.target.value);
    if (value === null) {
      state.problems[k] = true;
      event.target.setAttribute("aria-invalid", "true");
      ui.problem.textContent = t("weightProblem", {
        cell: event.target.getAttribute("aria-label"),
        typed: "\u201c" + event.target.value + "\u201d",
        limit: state.limit,
        value: Number(cellValue(state.network, k).toFixed(3)),
      });
      return;
    }
    delete state.problems[k];
    event.target.removeAttribute("aria-invalid");
    if (!Object.keys(state.problems).length) {
      ui.problem.textContent = "";
    }
    if (k === 9) {
      state.network["conv1.bias"].data[state.filter] = value;
    } else {
      state.network["conv1.weight"].data[state.filter * 9 + k] = value;
    }
    networkChanged();
  }

  function onSwitch(layer, channel, event) {
    state.off[layer][channel] = !event.target.checked;
    networkChanged();
  }

  function resetNetwork() {
    state.network = core.copyNetwork(state.original);
    state.off = { conv1: [], conv2: [] };
    ["conv1", "conv2"].forEach(function (layer) {
      ui.switches[layer].forEach(function (box) {
        box.checked = true;
      });
    });
    state.problems = {};
    fillGrid();
    networkChanged();
  }

  function networkChanged() {
    state.eventTime = performance.now();
    update();
    measureAccuracy();
  }

  function measureAccuracy() {
    var start = performance.now();
    var result = core.accuracy(state.network, state.digits, { off: state.off });
    result.ms = performance.now() - start;
    showAccuracy(result);
  }

  /**
   * The trained network's accuracy when the page opens, a few digits per task,
   * so that the page stays responsive while it loads (an edit is timed whole).
   */
  function measureAccuracyInSteps() {
    var network = state.network;
    var wrong = [];
    var next = 0;
    var busy = 0;
    function step() {
      if (network !== state.network || state.accuracy) {
        return; // an edit came first and measured the edited network
      }
      var start = performance.now();
      var stop = Math.min(state.digits.count, next + 30);
      for (; next < stop; next++) {
        if (core.forward(network, state.digits.images[next]).prediction !== state.digits.labels[next]) {
          wrong.push(next);
        }
      }
      busy += performance.now() - start;
      if (next < state.digits.count) {
        setTimeout(step, 0);
      } else {
        showAccuracy({ accuracy: (state.digits.count - wrong.length) / state.digits.count, wrong: wrong, ms: busy });
      }
    }
    setTimeout(step, 0);
  }

  function showAccuracy(result) {
    state.accuracy = result;
    var total = state.digits.count;
    ui.accuracy.textContent = t("accuracy", {
      percent: (result.accuracy * 100).toFixed(1),
      right: total - result.wrong.length,
      total: total,
      ms: result.ms.toFixed(0),
    });
    ui.wrong.textContent = "";
    result.wrong.slice(0, WRONG_SHOWN).forEach(function (index) {
      var read = core.forward(state.network, state.digits.images[index], { off: state.off }).prediction;
      var thumb = el("canvas", { className: "cl-thumb", width: 8, height: 8, "aria-hidden": "true" });
      paintGray(thumb, state.digits.images[index], 1);
      var button = el("button", {
        type: "button",
        className: "ci-button cl-gallery-button",
        "aria-label": t("wrongButton", { index: index + 1, label: state.digits.labels[index], read: read }),
        "data-index": index,
      }, [thumb]);
      button.addEventListener("click", function () {
        chooseTestDigit(index);
      });
      ui.wrong.appendChild(button);
    });
    if (!result.wrong.length) {
      ui.wrong.appendChild(el("p", { className: "cl-help", text: t("noneWrong") }));
    }
    ui.wrongMore.textContent = result.wrong.length > WRONG_SHOWN ?
      t("moreWrong", { count: result.wrong.length - WRONG_SHOWN }) : "";
  }

  // --- Painting ----------------------------------------------------------------------------

  function paintGray(canvas, values, scale) {
    var context = canvas.getContext("2d");
    var image = context.createImageData(canvas.width, canvas.height);
    for (var k = 0; k < values.length; k++) {
      var level = scale > 0 ? Math.round(Math.max(0, Math.min(1, values[k] / scale)) * 255) : 0;
      image.data[4 * k] = level;
      image.data[4 * k + 1] = level;
      image.data[4 * k + 2] = level;
      image.data[4 * k + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }

  /** Blue (negative) to white (0) to red (positive), on a scale symmetric around zero. */
  function paintSigned(canvas, values, scale) {
    var context = canvas.getContext("2d");
    var image = context.createImageData(canvas.width, canvas.height);
    for (var k = 0; k < values.length; k++) {
      var v = scale > 0 ? Math.max(-1, Math.min(1, values[k] / scale)) : 0;
      var rgb = v >= 0 ? [255 - 77 * v, 255 - 231 * v, 255 - 212 * v] : [255 + 222 * v, 255 + 153 * v, 255 + 83 * v];
      image.data[4 * k] = Math.round(rgb[0]);
      image.data[4 * k + 1] = Math.round(rgb[1]);
      image.data[4 * k + 2] = Math.round(rgb[2]);
      image.data[4 * k + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }

  function paintLayer(name, tensor) {
    var plane = tensor.height * tensor.width;
    var largest = 0;
    for (var k = 0; k < tensor.data.length; k++) {
      largest = Math.max(largest, Math.abs(tensor.data[k]));
    }
    var signed = name === "conv1" || name === "conv2";
    var layerTitle = t(name);
    ui.maps[name].canvases.forEach(function (canvas, channel) {
      var values = tensor.data.subarray(channel * plane, (channel + 1) * plane);
      var min = Infinity;
      var max = -Infinity;
      for (var v = 0; v < values.length; v++) {
        min = Math.min(min, values[v]);
        max = Math.max(max, values[v]);
      }
      (signed ? paintSigned : paintGray)(canvas, values, largest);
      canvas.setAttribute("aria-label", t("mapAria", { layer: layerTitle, channel: channel + 1, min: fmt(min), max: fmt(max) }));
    });
    ui.maps[name].scale.textContent = t(signed ? "scaleSigned" : "scalePositive", { max: fmt(largest) });
  }

  function update() {
    var input = state.input || new Float32Array(64);
    var result = core.forward(state.network, input, { off: state.off });
    state.result = result;
    var ink = 0;
    for (var k = 0; k < 64; k++) {
      ink += input[k] > 0 ? 1 : 0;
    }
    paintGray(ui.input, input, 1);
    ui.input.setAttribute("aria-label", t("inputAria", { ink: ink }));
    LAYERS.forEach(function (name) {
      paintLayer(name, result[name]);
    });
    for (var d = 0; d < 10; d++) {
      var p = state.input ? result.probabilities[d] : 0;
      ui.barRows[d].fill.style.width = (p * 100).toFixed(2) + "%";
      ui.barRows[d].text.textContent = percent(p) + "%";
      ui.barRows[d].row.classList.toggle("cl-bar-top", Boolean(state.input) && d === result.prediction);
    }
    ui.prediction.textContent = sentence();
    var ms = performance.now() - state.eventTime;
    state.timings.push(ms);
    ui.timing.textContent = t("timing", { ms: ms.toFixed(1) });
  }

  function sentence() {
    if (!state.input) {
      return t("empty");
    }
    var result = state.result;
    var params = { digit: result.prediction, percent: percent(result.probabilities[result.prediction]) };
    if (state.source === "gallery") {
      params.label = state.digits.labels[state.galleryIndex];
      return t("readsLabelled", params);
    }
    return t("reads", params);
  }

  /** The live region: said once per finished stroke, choice or clearing, not at every frame. */
  function announce() {
    ui.live.textContent = sentence();
  }

  // --- Start -------------------------------------------------------------------------------

  // data.js (written by the build from the convbook package) sets window.convLabData.
  var ready = page.start(root, core && window.convLabData, t, function (data) {
    state.original = core.networkFromData(data);
    state.network = core.copyNetwork(state.original);
    state.digits = core.digitsFromData(data);
    state.limit = typeof data.weight_limit === "number" ? data.weight_limit : 1000;
    state.gray = data.gray;
    build();
    fillGrid();
    state.eventTime = performance.now();
    update();
    measureAccuracyInSteps();
    announce();
  });

  /** For the tests and the benchmark. */
  window.convLab = {
    ready: ready,
    language: LANG,
    timings: state.timings,
    canvasSide: CANVAS_SIDE,
    /** The canvas's RGBA bytes, base64. */
    canvasBase64: function () {
      var data = canvasRGBA();
      return page.encode(data);
    },
    /** The network's input now (64 float32 values, base64), or null with nothing drawn. */
    inputBase64: function () {
      return state.input ? page.encode(state.input) : null;
    },
    /** The page's logits for every test digit, (count, 10) float32 as base64. */
    testLogitsBase64: function () {
      var out = new Float32Array(state.digits.count * 10);
      for (var n = 0; n < state.digits.count; n++) {
        out.set(core.forward(state.network, state.digits.images[n]).logits, n * 10);
      }
      return page.encode(out);
    },
    snapshot: function () {
      return {
        accuracy: state.accuracy ? state.accuracy.accuracy : null,
        wrong: state.accuracy ? state.accuracy.wrong.slice() : null,
        accuracyMs: state.accuracy ? state.accuracy.ms : null,
        source: state.source,
        galleryIndex: state.galleryIndex,
        prediction: state.input ? state.result.prediction : null,
        probabilities: state.input ? Array.prototype.slice.call(state.result.probabilities) : null,
      };
    },
  };
})();
