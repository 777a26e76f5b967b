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
 * cross-correlation, stride 1, no padding, on gray values k / 255, computed
 * by the book's one browser core, cnn-core.js (window.ConvbookCnn), which the
 * lab uses too; what both pages share besides (words, elements, the start-up
 * error) is in page.js (window.ConvbookPage).
 *
 * Its words are in the page's language, <html lang>: Korean on the Korean
 * edition's pages (/ko/), English otherwise; all of them are in MESSAGES.
 */
(function () {
  "use strict";

  var root = document.getElementById("conv-playground");
  var page = window.ConvbookPage;
  var core = window.ConvbookCnn;
  if (!root || !page) {
    return;
  }
  var el = page.el;

  /** Photos larger than this (longer side, pixels) are scaled down... */
  var MAX_SIDE = 800;
  /** ...but never so far that a side gets shorter than the largest kernel. */
  var MIN_SIDE = 5;
  var SIZES = [3, 4, 5];

  var state = {
    data: null,
    input: null, // {width, height, gray: Float32Array, kind: "sample" or "own"}
    size: 4,
    weights: null, // Float32Array(size * size), row-major
    presetId: null,
    conv: null, // Float32Array(outW * outH)
    outW: 0,
    outH: 0,
    stats: null,
    probe: null, // {row, col} in output coordinates
    pinned: false, // true: the position stays where it was clicked, tapped or typed
    problems: {}, // cell index -> what is wrong with what the reader typed there
    activeCell: 0, // the cell the sign button acts on
    custom: null, // {size, weights}: the reader's own last weights
    timings: [],
  };

  var ui = {};
  var lutPacked = null; // Uint32Array(256) of the diverging colour map
  var grayPacked = null; // Uint32Array(256) of black to white
  var littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

  // --- The words -------------------------------------------------------------

  /**
   * Every text the playground shows or says, in each language of the book,
   * with the same keys; {name} is filled by t() (see format()). The page's
   * language (<html lang>, "ko" on the Korean edition's pages) picks the
   * table; English otherwise, and for any key a language lacks. Numbers are
   * formatted the same in every language (fmt, trim, toLocaleString("en")).
   */
  var MESSAGES = {
    en: {
      noFiniteValue: "(no finite value)",
      // Problems with a weight: they finish the sentence "Row r, column c: ...".
      cellEmpty: "the cell is empty; type a number (0 for no weight)",
      cellComma: "{typed} has a comma; write the decimal point as a dot: {fixed}",
      cellNotNumber: "{typed} is not a number",
      cellOutOfRange: "{typed} is outside the range \u2212{limit} to {limit}",
      rowEmpty: "The row is empty: rows go from 0 to {last}.",
      rowMissing: "There is no row {typed}: rows go from 0 to {last}.",
      columnEmpty: "The column is empty: columns go from 0 to {last}.",
      columnMissing: "There is no column {typed}: columns go from 0 to {last}.",
      positionKept: "{problems} The position stays at row {row}, column {col}.",
      // The kernel
      kernelHeading: "The kernel",
      presetLabel: "Preset",
      customOption: "Custom: your own weights",
      sizeLabel: "Size",
      sizeOption: "{k} \u00d7 {k}",
      weightsLabel: "Weights",
      changeSign: "\u00b1 Change sign",
      negate: "Negate",
      transpose: "Transpose",
      allZero: "All zero",
      gridHelp: "Type a number from \u2212{limit} to {limit} in each cell. The arrow keys move between cells; " +
        "\u00b1 changes the sign of the selected cell.",
      cell: "row {row}, column {col}",
      weightCell: "Weight, row {row}, column {col}",
      activeCell: "({cell})",
      cellProblem: "{cell}: {problem}. The maps still use its last valid value, {value}.",
      oneInvalid: "One weight is not valid.",
      manyInvalid: "{count} weights are not valid.",
      invalidItem: "{cell}: {problem}.",
      useLastValid: "The maps use the last valid weights.",
      ownWeightsNote: "Your own weights. Choosing Custom again brings them back after you try a preset.",
      typeWeightsNote: "Type your own weights in the grid; the menu names a preset again when the weights equal it.",
      sumValid: "The weights sum to {sum}",
      sumInvalid: "The weights in use (the last valid ones) sum to {sum}",
      flatZero: ": a flat patch gives 0.",
      flatB: ": a flat patch of brightness b gives {sum} \u00d7 b.",
      // The feature maps
      mapsHeading: "What the layer makes of it",
      convLabel: "The feature map before ReLU",
      reluLabel: "The feature map after ReLU",
      convCaptionShort: "Before ReLU",
      reluCaptionShort: "After ReLU",
      convCaption: "Before ReLU ({height} \u00d7 {width}): blue below zero, red above",
      reluCaption: "After ReLU: black is zero, white the largest value",
      convAria: "Feature map before ReLU, {height} by {width} values from {min} to {max}, blue below zero and red above",
      reluAria: "Feature map after ReLU: {percent} percent of the values are above zero",
      timing: "Last update: {ms} ms in this browser, for {outputs} outputs of {products} products each.",
      presetNamed: "the preset \u201c{label}\u201d",
      ownWeights: "your own weights",
      describe: "Showing {name} ({height} by {width} pixels) filtered with {kernel}, a {k} by {k} kernel whose " +
        "weights sum to {sum}. The feature map has {outHeight} by {outWidth} values from {min} to {max}. " +
        "After ReLU, {percent} percent of them are above zero; the rest become 0.",
      // One value, worked out
      inspectorHeading: "One value, worked out",
      outputRow: "Output row",
      outputColumn: "Output column",
      inputPatch: "Input patch",
      weightsTitle: "Weights",
      products: "Products",
      pinned: "Pinned: click the map again, or press Escape, to let the position follow the pointer.",
      unpinned: "Point at a feature map to pick a position, click or tap it to pin the position, or type it here.",
      sumHead: "Output row {row}, column {col}: {value}; after ReLU, {relu}.",
      sumTail: " The sum of the {count} products of the input patch (rows {row} to {lastRow}, columns {col} to " +
        "{lastCol}) and the weights.",
      // The photo
      photoHeading: "The photo",
      inputLabel: "The input photo",
      inputCaptionShort: "Input",
      inputAria: "Input: {name} in grayscale, {height} by {width} pixels",
      inputCaption: "Input: {name} ({height} \u00d7 {width})",
      ownPhotoLabel: "Use your own photo",
      backToSample: "Back to the sample photo",
      fileHelp: "A PNG, JPEG, GIF, WebP or BMP file. It stays on your device: this page reads it in the browser " +
        "and uploads nothing. Photos larger than {maxSide} pixels are scaled down to keep the updates fast, " +
        "never below {minSide} pixels on a side.",
      samplePhoto: "the sample photo",
      ownPhoto: "your photo",
      showingSample: "Showing {description}.",
      showingOwn: "Showing your photo \u201c{name}\u201d, read on this device{scaled}.",
      scaledFrom: ", scaled down from {height} \u00d7 {width}",
      couldNotUse: "Could not use \u201c{name}\u201d: {reason}. The playground still shows the previous photo.",
      readable: "use a PNG, JPEG, GIF, WebP or BMP file",
      svg: "it is an SVG drawing, which has no pixels to filter; {readable}",
      tooSmall: "it is {height} by {width} pixels, smaller than the largest kernel ({min} by {min})",
      unreadable: "it is not an image this browser can read; {readable}",
      // Starting
      couldNotStart: "The playground could not start: {reason}.",
      noData: "its data (playground/data.js) did not load",
      photoMismatch: "the decoded photo does not match the package's data",
    },
    ko: {
      noFiniteValue: "(유한한 값 없음)",
      // Problems with a weight: they follow "r행 c열: ".
      cellEmpty: "칸이 비어 있습니다. 숫자를 입력해야 합니다(가중치를 두지 않으려면 0)",
      cellComma: "{typed}에 쉼표가 있습니다. 소수점은 마침표로 씁니다: {fixed}",
      cellNotNumber: "{typed|은} 숫자가 아닙니다",
      cellOutOfRange: "{typed|은} \u2212{limit}부터 {limit}까지의 범위를 벗어납니다",
      rowEmpty: "행이 비어 있습니다. 행은 0부터 {last}까지입니다.",
      rowMissing: "행 {typed|은} 없습니다. 행은 0부터 {last}까지입니다.",
      columnEmpty: "열이 비어 있습니다. 열은 0부터 {last}까지입니다.",
      columnMissing: "열 {typed|은} 없습니다. 열은 0부터 {last}까지입니다.",
      positionKept: "{problems} 위치는 {row}행 {col}열 그대로입니다.",
      // The kernel
      kernelHeading: "커널",
      presetLabel: "프리셋",
      customOption: "사용자 정의: 직접 입력한 가중치",
      sizeLabel: "크기",
      sizeOption: "{k} \u00d7 {k}",
      weightsLabel: "가중치",
      changeSign: "\u00b1 부호 바꾸기",
      negate: "부호 반전",
      transpose: "전치",
      allZero: "모두 0",
      gridHelp: "각 칸에 \u2212{limit}부터 {limit}까지의 숫자를 입력합니다. 방향키로 칸 사이를 이동하고, " +
        "\u00b1 버튼으로 선택한 칸의 부호를 바꿉니다.",
      cell: "{row}행 {col}열",
      weightCell: "가중치, {row}행 {col}열",
      activeCell: "({cell})",
      cellProblem: "{cell}: {problem}. 맵에는 이 칸의 마지막 유효한 값({value})이 계속 쓰입니다.",
      oneInvalid: "가중치 하나가 유효하지 않습니다.",
      manyInvalid: "가중치 {count}개가 유효하지 않습니다.",
      invalidItem: "{cell}: {problem}.",
      useLastValid: "맵에는 마지막으로 유효했던 가중치가 쓰입니다.",
      ownWeightsNote: "직접 입력한 가중치입니다. 프리셋을 써 본 뒤에도 \u2018사용자 정의\u2019를 다시 고르면 이 가중치로 " +
        "돌아옵니다.",
      typeWeightsNote: "격자에 가중치를 직접 입력할 수 있습니다. 가중치가 어떤 프리셋과 같아지면 메뉴에 그 프리셋의 " +
        "이름이 다시 나타납니다.",
      sumValid: "가중치의 합은 {sum}입니다",
      sumInvalid: "사용 중인 가중치(마지막으로 유효했던 가중치)의 합은 {sum}입니다",
      flatZero: ". 평평한 패치는 0이 됩니다.",
      flatB: ". 밝기가 b인 평평한 패치는 {sum} \u00d7 b가 됩니다.",
      // The feature maps
      mapsHeading: "층이 만든 특성 맵",
      convLabel: "ReLU 전의 특성 맵",
      reluLabel: "ReLU 후의 특성 맵",
      convCaptionShort: "ReLU 전",
      reluCaptionShort: "ReLU 후",
      convCaption: "ReLU 전 ({height} \u00d7 {width}): 0보다 작으면 파란색, 크면 빨간색",
      reluCaption: "ReLU 후: 검은색은 0, 흰색은 가장 큰 값",
      convAria: "ReLU 전의 특성 맵: {height} \u00d7 {width}개의 값이 {min}부터 {max}까지이며, 0보다 작으면 파란색, " +
        "크면 빨간색입니다",
      reluAria: "ReLU 후의 특성 맵: 값의 {percent}%가 0보다 큽니다",
      timing: "마지막 갱신: 이 브라우저에서 {ms} ms 걸렸습니다(출력 {outputs}개, 출력마다 곱 {products}개).",
      presetNamed: "프리셋 \u201c{label}\u201d",
      ownWeights: "직접 입력한 가중치",
      describe: "{name}({height} \u00d7 {width} 픽셀)에 {kernel}의 {k} \u00d7 {k} 커널을 적용했습니다. 가중치의 " +
        "합은 {sum}입니다. 특성 맵은 {outHeight} \u00d7 {outWidth}개의 값으로, {min}부터 {max}까지입니다. " +
        "ReLU 후에는 그중 {percent}%가 0보다 크고, 나머지는 0이 됩니다.",
      // One value, worked out
      inspectorHeading: "값 하나의 계산 과정",
      outputRow: "출력 행",
      outputColumn: "출력 열",
      inputPatch: "입력 패치",
      weightsTitle: "가중치",
      products: "곱",
      pinned: "고정됨: 위치가 다시 포인터를 따라가게 하려면 맵을 한 번 더 클릭하거나 Escape 키를 누릅니다.",
      unpinned: "특성 맵을 가리키면 위치를 고를 수 있고, 클릭하거나 탭하면 그 위치가 고정됩니다. 여기에 위치를 " +
        "직접 입력할 수도 있습니다.",
      sumHead: "출력 {row}행 {col}열: {value}, ReLU 후 {relu}.",
      sumTail: " 입력 패치({row}행부터 {lastRow}행까지, {col}열부터 {lastCol}열까지)와 가중치를 곱한 값 {count}개를 " +
        "모두 더한 값입니다.",
      // The photo
      photoHeading: "사진",
      inputLabel: "입력 사진",
      inputCaptionShort: "입력",
      inputAria: "입력: 그레이스케일로 바꾼 {name}, {height} \u00d7 {width} 픽셀",
      inputCaption: "입력: {name} ({height} \u00d7 {width})",
      ownPhotoLabel: "내 사진 사용하기",
      backToSample: "예제 사진으로 돌아가기",
      fileHelp: "PNG, JPEG, GIF, WebP, BMP 파일을 쓸 수 있습니다. 사진은 이 기기 밖으로 나가지 않습니다. 이 페이지가 " +
        "브라우저 안에서 읽을 뿐, 아무것도 업로드하지 않습니다. 갱신이 빠르도록 {maxSide}픽셀보다 큰 사진은 " +
        "축소하지만, 한 변이 {minSide}픽셀보다 짧아지지는 않습니다.",
      samplePhoto: "예제 사진",
      ownPhoto: "내 사진",
      showingSample: "지금 보이는 것은 {description}입니다.",
      showingOwn: "지금 보이는 것은 이 기기에서 읽은 내 사진 \u201c{name}\u201d입니다.{scaled}",
      scaledFrom: " 원래 크기 {height} \u00d7 {width}에서 축소했습니다.",
      couldNotUse: "\u201c{name}\u201d 파일을 쓸 수 없습니다: {reason}. 플레이그라운드는 이전 사진을 계속 보여 줍니다.",
      readable: "PNG, JPEG, GIF, WebP, BMP 파일을 써야 합니다",
      svg: "SVG 그림이라서 필터를 적용할 픽셀이 없습니다. {readable}",
      tooSmall: "크기가 {height} \u00d7 {width} 픽셀로, 가장 큰 커널({min} \u00d7 {min})보다 작습니다",
      unreadable: "이 브라우저가 읽을 수 있는 이미지가 아닙니다. {readable}",
      // Starting
      couldNotStart: "플레이그라운드를 시작할 수 없습니다: {reason}.",
      noData: "데이터(playground/data.js)를 불러오지 못했습니다",
      photoMismatch: "디코딩한 사진이 패키지의 데이터와 다릅니다",
    },
  };

  /** The page's language: "ko" on the Korean edition's pages, else "en". */
  var LANG = page.language;

  /** The text of a message in the page's language, with its {placeholders} filled. */
  var t = page.translator(MESSAGES);

  /** A preset's name in the page's language (data.js has every language's). */
  function presetLabel(preset) {
    return (preset.labels && preset.labels[LANG]) || preset.label;
  }

  // --- Small helpers ---------------------------------------------------------

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
    if (!isFinite(value)) {
      // Cannot happen with valid weights (playground tests); never print NaN.
      return t("noFiniteValue");
    }
    var text = Math.abs(value) < 0.5 * Math.pow(10, -digits) ? (0).toFixed(digits) : value.toFixed(digits);
    return text.replace("-", "\u2212");
  }

  /** A weight as it goes into a cell (at most 6 decimals, no exponent). */
  function weightText(value) {
    var rounded = Math.round(value * 1e6) / 1e6;
    var text = String(rounded + 0);
    return /e/i.test(text) ? rounded.toFixed(6).replace(/\.?0+$/, "") : text;
  }

  // --- Images -----------------------------------------------------------------

  /**
   * Gray levels from RGBA pixels, as OpenCV's COLOR_BGR2GRAY does for 8-bit
   * images (fixed-point weights, rounded; data.js has the installed
   * OpenCV's), then divided by 255 in float32, as convbook.load_grayscale
   * does. An already gray image keeps its levels.
   */
  function grayFromRGBA(rgba, width, height) {
    var levels = core.grayFromRGBA(rgba, width, height, state.data.gray);
    var gray = new Float32Array(levels.length);
    var sum = 0;
    for (var i = 0; i < levels.length; i++) {
      sum += levels[i];
      gray[i] = Math.fround(levels[i] / 255);
    }
    return { gray: gray, checksum: sum };
  }

  /**
   * The factor by which a width x height image is scaled: the longer side
   * down to maxSide, but not so far that the shorter side drops below
   * MIN_SIDE (an 8000 x 10 panorama becomes 4000 x 5, not 800 x 1).
   */
  function scaleFactor(width, height, maxSide) {
    var scale = Math.min(1, maxSide / Math.max(width, height));
    return Math.min(1, Math.max(scale, MIN_SIDE / Math.min(width, height)));
  }

  /** Decode an image (Blob) into RGBA pixels, with no colour management. */
  function decode(blob, maxSide) {
    var options = { colorSpaceConversion: "none", premultiplyAlpha: "none" };
    var original = null;
    return createImageBitmap(blob, options).then(function (bitmap) {
      original = { width: bitmap.width, height: bitmap.height };
      var scale = scaleFactor(bitmap.width, bitmap.height, maxSide);
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
      var result = {
        width: bitmap.width,
        height: bitmap.height,
        rgba: pixels,
        scaled: bitmap.width !== original.width || bitmap.height !== original.height,
        originalWidth: original.width,
        originalHeight: original.height,
      };
      bitmap.close();
      return result;
    });
  }

  // --- The layer --------------------------------------------------------------

  /** Valid cross-correlation of a (H, W) image with a (k, k) kernel: torch's Conv2d, by the core. */
  function correlate(gray, width, height, weights, k) {
    var map = core.conv2d(core.tensor(1, height, width, gray), { shape: [1, 1, k, k], data: weights }, null);
    return { values: map.data, width: map.width, height: map.height };
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

  // --- Reading what the reader types ---------------------------------------------

  /** A plain decimal number: digits, one point, an optional exponent. */
  var NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

  /**
   * Read one weight as typed. Returns {value} (a float32 number) or {problem}
   * (words that finish the sentence "Row r, column c: ..."). A weight must be
   * a finite number with |w| <= the limit data.js gives (WEIGHT_LIMIT in
   * convbook.presets); anything else is refused, never read as 0.
   */
  function parseWeight(text) {
    var limit = weightLimit();
    var typed = String(text).trim().replace(/\u2212/g, "-");
    if (typed === "") {
      return { problem: t("cellEmpty") };
    }
    if (/^[+-]?\d*,\d+$/.test(typed)) {
      return { problem: t("cellComma", { typed: quote(typed), fixed: typed.replace(",", ".") }) };
    }
    if (!NUMBER_PATTERN.test(typed)) {
      return { problem: t("cellNotNumber", { typed: quote(typed) }) };
    }
    var value = Number(typed);
    if (!isFinite(value) || Math.abs(value) > limit) {
      return { problem: t("cellOutOfRange", { typed: quote(typed), limit: limit }) };
    }
    return { value: Math.fround(value) + 0 }; // + 0 turns -0 into 0
  }

  function quote(text) {
    var shown = text.length > 24 ? text.slice(0, 23) + "\u2026" : text;
    return "\u201c" + shown + "\u201d";
  }

  function weightLimit() {
    var limit = state.data && state.data.weight_limit;
    return typeof limit === "number" && limit > 0 ? limit : 1000;
  }

  /** A row or column ("row" or "column") of the output as typed: {value} or {problem}. */
  function parseIndex(text, count, what) {
    var typed = String(text).trim();
    var last = count - 1;
    if (!/^\d+$/.test(typed) || Number(typed) > last) {
      return { problem: t(what + (typed === "" ? "Empty" : "Missing"), { typed: quote(typed), last: last }) };
    }
    return { value: Number(typed) };
  }

  // --- Building the interface --------------------------------------------------

  function view(canvas, marker, caption, extra) {
    return el("figure", { className: "cp-view" }, [
      el("div", { className: "cp-stage" }, [canvas, marker]),
    ].concat(extra || []).concat([caption]));
  }

  function button(text, attrs) {
    var node = el("button", Object.assign({ type: "button", className: "ci-button cp-button", text: text }, attrs || {}));
    return node;
  }

  function build() {
    root.textContent = "";
    var presets = state.data.presets;
    var limit = weightLimit();

    // The kernel ------------------------------------------------------------------
    ui.preset = el("select", { id: "cp-preset", "aria-describedby": "cp-preset-note" }, presets.map(function (preset) {
      return el("option", { value: preset.id, text: presetLabel(preset) });
    }).concat([el("option", { value: "custom", text: t("customOption") })]));
    ui.presetNote = el("p", { className: "cp-note", id: "cp-preset-note" });
    ui.size = el("select", { id: "cp-size" }, SIZES.map(function (n) {
      return el("option", { value: n, text: t("sizeOption", { k: n }) });
    }));
    ui.grid = el("div", {
      className: "cp-grid",
      role: "group",
      "aria-labelledby": "cp-grid-label",
      "aria-describedby": "cp-grid-help",
    });
    ui.gridError = el("div", { className: "cp-problem", id: "cp-grid-error", hidden: true });
    ui.activeCell = el("span", { className: "cp-note cp-active-cell", id: "cp-active-cell" });
    ui.flip = button(t("changeSign"), { id: "cp-flip", "aria-describedby": "cp-active-cell" });
    ui.weightSum = el("p", { className: "cp-note", id: "cp-weight-sum" });
    var negate = button(t("negate"), { id: "cp-negate" });
    var transpose = button(t("transpose"), { id: "cp-transpose" });
    var zero = button(t("allZero"), { id: "cp-zero" });
    negate.addEventListener("click", function () {
      transform(function (w, r, c, k) { return -w[r * k + c]; });
    });
    transpose.addEventListener("click", function () {
      transform(function (w, r, c, k) { return w[c * k + r]; });
    });
    zero.addEventListener("click", function () {
      transform(function () { return 0; });
    });

    ui.kernelPanel = el("section", { className: "ci-panel cp-kernel", "aria-labelledby": "cp-kernel-heading" }, [
      el("h3", { className: "ci-heading", id: "cp-kernel-heading", text: t("kernelHeading") }),
      el("div", { className: "ci-field cp-field-wide" }, [el("label", { for: "cp-preset", text: t("presetLabel") }), ui.preset]),
      ui.presetNote,
      el("div", { className: "ci-field" }, [el("label", { for: "cp-size", text: t("sizeLabel") }), ui.size]),
      el("p", { className: "cp-grid-label", id: "cp-grid-label", text: t("weightsLabel") }),
      ui.grid,
      ui.gridError,
      el("div", { className: "cp-cell-tools" }, [ui.flip, ui.activeCell]),
      el("p", {
        className: "cp-note",
        id: "cp-grid-help",
        text: t("gridHelp", { limit: limit }),
      }),
      ui.weightSum,
      el("div", { className: "cp-buttons" }, [negate, transpose, zero]),
    ]);

    // The feature maps ----------------------------------------------------------------
    ui.convCanvas = el("canvas", { id: "cp-conv", role: "img", "aria-label": t("convLabel") });
    ui.reluCanvas = el("canvas", { id: "cp-relu", role: "img", "aria-label": t("reluLabel") });
    ui.convMark = el("div", { className: "cp-marker cp-marker-point", "aria-hidden": "true", hidden: true });
    ui.reluMark = el("div", { className: "cp-marker cp-marker-point", "aria-hidden": "true", hidden: true });
    ui.convBar = el("div", { className: "cp-colorbar", "aria-hidden": "true" });
    ui.reluBar = el("div", { className: "cp-colorbar", "aria-hidden": "true" });
    ui.convScale = el("div", { className: "cp-scale", "aria-hidden": "true" });
    ui.reluScale = el("div", { className: "cp-scale", "aria-hidden": "true" });
    ui.convCaption = el("figcaption", { text: t("convCaptionShort") });
    ui.reluCaption = el("figcaption", { text: t("reluCaptionShort") });
    ui.status = el("p", { className: "cp-status", id: "cp-status" });
    ui.timing = el("p", { className: "cp-note cp-timing", id: "cp-timing" });
    ui.mapsPanel = el("section", { className: "cp-maps", "aria-labelledby": "cp-maps-heading" }, [
      el("h3", { className: "ci-heading", id: "cp-maps-heading", text: t("mapsHeading") }),
      el("div", { className: "cp-views" }, [
        view(ui.convCanvas, ui.convMark, ui.convCaption, [ui.convBar, ui.convScale]),
        view(ui.reluCanvas, ui.reluMark, ui.reluCaption, [ui.reluBar, ui.reluScale]),
      ]),
      ui.status,
      ui.timing,
    ]);

    // One value, worked out ------------------------------------------------------------
    ui.probeRow = el("input", {
      type: "text", id: "cp-probe-row", inputmode: "numeric", autocomplete: "off",
      "aria-describedby": "cp-probe-error", spellcheck: "false",
    });
    ui.probeCol = el("input", {
      type: "text", id: "cp-probe-col", inputmode: "numeric", autocomplete: "off",
      "aria-describedby": "cp-probe-error", spellcheck: "false",
    });
    ui.probeError = el("div", { className: "cp-problem", id: "cp-probe-error", hidden: true });
    ui.patchGrid = el("div", { className: "cp-matrix", "aria-hidden": "true" });
    ui.weightGrid = el("div", { className: "cp-matrix", "aria-hidden": "true" });
    ui.productGrid = el("div", { className: "cp-matrix", "aria-hidden": "true" });
    ui.sum = el("p", { className: "cp-sum", id: "cp-sum" });
    ui.pinNote = el("p", { className: "cp-note", id: "cp-pin-note" });
    // Spoken when the position is typed (pointing would be too chatty).
    ui.probeLive = el("p", { className: "ci-sr-only", id: "cp-probe-live", "aria-live": "polite" });
    ui.inspector = el("section", { className: "ci-panel cp-inspector", "aria-labelledby": "cp-inspector-heading" }, [
      el("h3", { className: "ci-heading", id: "cp-inspector-heading", text: t("inspectorHeading") }),
      ui.sum,
      ui.pinNote,
      el("div", { className: "cp-probe-fields" }, [
        el("div", { className: "ci-field" }, [el("label", { for: "cp-probe-row", text: t("outputRow") }), ui.probeRow]),
        el("div", { className: "ci-field" }, [el("label", { for: "cp-probe-col", text: t("outputColumn") }), ui.probeCol]),
      ]),
      ui.probeError,
      el("div", { className: "cp-matrices" }, [
        el("div", { className: "cp-matrix-box" }, [el("p", { className: "cp-matrix-title", text: t("inputPatch") }), ui.patchGrid]),
        el("div", { className: "cp-times", "aria-hidden": "true", text: "\u00d7" }),
        el("div", { className: "cp-matrix-box" }, [el("p", { className: "cp-matrix-title", text: t("weightsTitle") }), ui.weightGrid]),
        el("div", { className: "cp-times", "aria-hidden": "true", text: "=" }),
        el("div", { className: "cp-matrix-box" }, [el("p", { className: "cp-matrix-title", text: t("products") }), ui.productGrid]),
      ]),
      ui.probeLive,
    ]);

    // The photo ------------------------------------------------------------------------
    ui.file = el("input", { type: "file", id: "cp-file", accept: "image/*", "aria-describedby": "cp-file-help" });
    ui.resetPhoto = button(t("backToSample"), { id: "cp-reset-photo" });
    ui.photoNote = el("p", { className: "cp-note", id: "cp-photo-note" });
    ui.inputCanvas = el("canvas", { id: "cp-input", role: "img", "aria-label": t("inputLabel") });
    ui.inputBox = el("div", { className: "cp-marker cp-marker-patch", "aria-hidden": "true", hidden: true });
    ui.inputCaption = el("figcaption", { text: t("inputCaptionShort") });
    ui.photoPanel = el("section", { className: "ci-panel cp-photo", "aria-labelledby": "cp-photo-heading" }, [
      el("h3", { className: "ci-heading", id: "cp-photo-heading", text: t("photoHeading") }),
      view(ui.inputCanvas, ui.inputBox, ui.inputCaption),
      el("div", { className: "ci-field cp-field-file" }, [
        el("label", { for: "cp-file", text: t("ownPhotoLabel") }),
        ui.file,
      ]),
      el("p", {
        className: "cp-note",
        id: "cp-file-help",
        text: t("fileHelp", { maxSide: MAX_SIDE, minSide: MIN_SIDE }),
      }),
      ui.photoNote,
      el("div", { className: "cp-buttons" }, [ui.resetPhoto]),
    ]);

    // What a screen reader hears: a short while after the last change.
    ui.announcer = el("p", { className: "ci-sr-only", id: "cp-announce", "aria-live": "polite" });

    // Reading order = the phone's visual order for everything that takes focus:
    // kernel, worked-out value, photo. On a wide page the maps and the photo
    // form the right-hand column (playground.css).
    root.appendChild(el("div", { className: "ci-layout" }, [
      el("div", { className: "ci-column cp-column-edit" }, [ui.kernelPanel, ui.inspector]),
      el("div", { className: "ci-column cp-column-see" }, [ui.mapsPanel, ui.photoPanel]),
    ]));
    root.appendChild(ui.announcer);

    wire();
  }

  function wire() {
    ui.preset.addEventListener("change", function () {
      if (ui.preset.value === "custom") {
        chooseCustom();
      } else {
        loadPreset(ui.preset.value);
      }
    });
    ui.size.addEventListener("change", function () {
      resize(parseInt(ui.size.value, 10));
    });
    ui.grid.addEventListener("input", function (event) {
      var cell = event.target;
      if (cell.dataset && cell.dataset.index !== undefined) {
        readCell(cell);
      }
    });
    ui.grid.addEventListener("keydown", onGridKey);
    ui.grid.addEventListener("focusin", function (event) {
      var cell = event.target;
      if (cell.dataset && cell.dataset.index !== undefined) {
        selectCell(+cell.dataset.index);
        if (cell.select) {
          cell.select();
        }
      }
    });
    // The sign button keeps the focus (and a phone's keypad) in the cell.
    ui.flip.addEventListener("pointerdown", function (event) {
      if (document.activeElement && document.activeElement.classList.contains("cp-cell")) {
        event.preventDefault();
      }
    });
    ui.flip.addEventListener("click", flipSign);

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
      canvas.addEventListener("pointerdown", function (event) {
        lastPointer = event.pointerType || "mouse";
      });
      canvas.addEventListener("pointermove", function (event) {
        if (event.pointerType !== "touch" && !state.pinned) {
          pointAt(event);
        }
      });
      canvas.addEventListener("click", onMapClick);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && state.pinned) {
        setPinned(false);
      }
    });
    [ui.probeRow, ui.probeCol].forEach(function (field) {
      field.addEventListener("input", readProbeFields);
    });
    window.addEventListener("resize", sharpenAll);
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

  function cellName(index) {
    var k = state.size;
    return t("cell", { row: Math.floor(index / k) + 1, col: index % k + 1 });
  }

  function buildGrid() {
    var k = state.size;
    ui.grid.textContent = "";
    ui.grid.style.gridTemplateColumns = "repeat(" + k + ", auto)";
    ui.grid.setAttribute("data-size", k);
    ui.cells = [];
    state.problems = {};
    for (var r = 0; r < k; r++) {
      for (var c = 0; c < k; c++) {
        // A text field, not type=number: the page checks what is typed itself
        // (a number field reports "abc" as "" and lets the mouse wheel change it).
        var cell = el("input", {
          type: "text",
          inputmode: "decimal",
          autocomplete: "off",
          spellcheck: "false",
          className: "cp-cell",
          id: "cp-w-" + r + "-" + c,
          "aria-label": t("weightCell", { row: r + 1, col: c + 1 }),
          "aria-invalid": "false",
          "data-index": r * k + c,
          value: weightText(state.weights[r * k + c]),
        });
        ui.cells.push(cell);
        ui.grid.appendChild(cell);
      }
    }
    ui.size.value = String(k);
    selectCell(Math.min(state.activeCell || 0, k * k - 1));
    showProblems();
  }

  function fillGrid() {
    state.problems = {};
    ui.cells.forEach(function (cell, i) {
      cell.value = weightText(state.weights[i]);
    });
    showProblems();
  }

  /** Read one cell; use its weight only when it is valid. */
  function readCell(cell) {
    var index = +cell.dataset.index;
    var parsed = parseWeight(cell.value);
    if (parsed.problem !== undefined) {
      state.problems[index] = parsed.problem;
      showProblems();
      scheduleAnnounce();
      return;
    }
    delete state.problems[index];
    showProblems();
    if (state.weights[index] !== parsed.value) {
      state.weights[index] = parsed.value;
      weightsChanged();
      update();
    } else {
      scheduleAnnounce();
    }
  }

  /** Mark the invalid cells and say, next to the grid, what is wrong. */
  function showProblems() {
    var indices = Object.keys(state.problems).map(Number).sort(function (a, b) { return a - b; });
    ui.cells.forEach(function (cell, i) {
      var bad = state.problems[i] !== undefined;
      cell.setAttribute("aria-invalid", bad ? "true" : "false");
      if (bad) {
        cell.setAttribute("aria-describedby", "cp-grid-error");
      } else {
        cell.removeAttribute("aria-describedby");
      }
    });
    ui.gridError.textContent = "";
    ui.gridError.hidden = indices.length === 0;
    if (indices.length) {
      indices.forEach(function (i) {
        ui.gridError.appendChild(el("p", {
          text: t("cellProblem", { cell: capital(cellName(i)), problem: state.problems[i], value: trim(state.weights[i]) }),
        }));
      });
    }
    if (state.stats) {
      describeWeights();
    }
  }

  function problemSummary() {
    var indices = Object.keys(state.problems);
    if (!indices.length) {
      return "";
    }
    return [indices.length === 1 ? t("oneInvalid") : t("manyInvalid", { count: indices.length })].concat(
      indices.map(function (i) {
        return t("invalidItem", { cell: capital(cellName(+i)), problem: state.problems[i] });
      }),
      [t("useLastValid")]
    ).join(" ");
  }

  function capital(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function selectCell(index) {
    state.activeCell = index;
    ui.cells.forEach(function (cell, i) {
      cell.classList.toggle("cp-cell-active", i === index);
    });
    ui.activeCell.textContent = t("activeCell", { cell: cellName(index) });
  }

  /** The ± button: a minus sign in front of the selected cell's text, or off it. */
  function flipSign() {
    var cell = ui.cells[state.activeCell || 0];
    var text = cell.value.trim();
    if (/^[-\u2212]/.test(text)) {
      text = text.slice(1);
    } else if (text.charAt(0) === "+") {
      text = "-" + text.slice(1);
    } else {
      text = "-" + text;
    }
    cell.value = text;
    if (document.activeElement === cell && cell.setSelectionRange) {
      cell.setSelectionRange(text.length, text.length);
    }
    readCell(cell);
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

  /** The preset whose weights these are (same size, every weight equal), or null. */
  function matchPreset(weights, k) {
    var presets = state.data.presets;
    for (var p = 0; p < presets.length; p++) {
      var rows = presets[p].weights;
      if (rows.length !== k) {
        continue;
      }
      var same = true;
      for (var r = 0; r < k && same; r++) {
        for (var c = 0; c < k; c++) {
          if (Math.fround(rows[r][c]) !== weights[r * k + c]) {
            same = false;
            break;
          }
        }
      }
      if (same) {
        return presets[p];
      }
    }
    return null;
  }

  /** After any change of the weights: name the preset they are, or keep them as Custom. */
  function weightsChanged() {
    var preset = matchPreset(state.weights, state.size);
    if (preset) {
      state.presetId = preset.id;
      ui.preset.value = preset.id;
    } else {
      state.presetId = null;
      ui.preset.value = "custom";
      state.custom = { size: state.size, weights: new Float32Array(state.weights) };
    }
    showPresetNote();
  }

  function showPresetNote() {
    var text;
    if (state.presetId) {
      text = "";
    } else if (state.custom) {
      text = t("ownWeightsNote");
    } else {
      text = t("typeWeightsNote");
    }
    ui.presetNote.textContent = text;
    ui.presetNote.hidden = !text;
  }

  function setWeights(k, weights) {
    state.size = k;
    state.weights = weights;
    buildGrid();
    weightsChanged();
    update();
    announce();
  }

  function loadPreset(id) {
    var preset = findPreset(id);
    if (!preset) {
      return;
    }
    var k = preset.weights.length;
    var weights = new Float32Array(k * k);
    preset.weights.forEach(function (row, r) {
      row.forEach(function (w, c) {
        weights[r * k + c] = w;
      });
    });
    setWeights(k, weights);
  }

  /** "Custom" in the menu: the reader's own last weights, or the present ones to edit. */
  function chooseCustom() {
    if (state.custom) {
      setWeights(state.custom.size, new Float32Array(state.custom.weights));
    } else {
      state.presetId = null;
      showPresetNote();
      update();
      announce();
    }
    ui.preset.value = state.presetId || "custom";
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
    setWeights(k, next);
  }

  /** Negate, transpose, all zero: applied to the weights in use (the valid ones). */
  function transform(fn) {
    var k = state.size;
    var old = state.weights;
    var next = new Float32Array(k * k);
    for (var r = 0; r < k; r++) {
      for (var c = 0; c < k; c++) {
        next[r * k + c] = fn(old, r, c, k) + 0;
      }
    }
    state.weights = next;
    fillGrid();
    weightsChanged();
    update();
    announce();
  }

  function setInput(input) {
    state.input = input;
    drawGray(ui.inputCanvas, input.gray, input.width, input.height, 0, 1);
    var shown = { name: t(input.kind === "own" ? "ownPhoto" : "samplePhoto"), width: input.width, height: input.height };
    ui.inputCanvas.setAttribute("aria-label", t("inputAria", shown));
    ui.inputCaption.textContent = t("inputCaption", shown);
    state.probe = null;
    setPinned(false);
  }

  function loadSamplePhoto() {
    var photo = state.data.photo;
    var bytes = core.decodeBase64(photo.png);
    return decode(new Blob([bytes], { type: "image/png" }), Infinity).then(function (decoded) {
      var result = grayFromRGBA(decoded.rgba, decoded.width, decoded.height);
      if (decoded.width !== photo.width || decoded.height !== photo.height || result.checksum !== photo.checksum) {
        throw new Error(t("photoMismatch"));
      }
      setInput({ width: decoded.width, height: decoded.height, gray: result.gray, kind: "sample" });
      ui.photoNote.textContent = t("showingSample", {
        description: (photo.descriptions && photo.descriptions[LANG]) || photo.description,
      });
      update();
    });
  }

  function loadOwnPhoto(file) {
    var name = file.name;
    var refused = null;
    if (/svg/i.test(file.type) || /\.svgz?$/i.test(name)) {
      refused = Promise.reject(new Error(t("svg", { readable: t("readable") })));
    }
    return (refused || decode(file, MAX_SIDE)).then(function (decoded) {
      if (decoded.width < MIN_SIDE || decoded.height < MIN_SIDE) {
        throw new Error(t("tooSmall", { width: decoded.width, height: decoded.height, min: MIN_SIDE }));
      }
      var result = grayFromRGBA(decoded.rgba, decoded.width, decoded.height);
      setInput({ width: decoded.width, height: decoded.height, gray: result.gray, kind: "own" });
      ui.photoNote.textContent = t("showingOwn", {
        name: name,
        scaled: decoded.scaled ? t("scaledFrom", { width: decoded.originalWidth, height: decoded.originalHeight }) : "",
      });
      update();
      announce();
    }).catch(function (error) {
      // Clear the field, so that it no longer names the refused file.
      ui.file.value = "";
      var reason = error && error.message && error.name !== "InvalidStateError" && error.name !== "EncodingError"
        ? error.message
        : t("unreadable", { readable: t("readable") });
      ui.photoNote.textContent = t("couldNotUse", { name: name, reason: reason });
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
    var resized = result.width !== state.outW || result.height !== state.outH;
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

    ui.timing.textContent = t("timing", {
      ms: elapsed.toFixed(1),
      outputs: (result.width * result.height).toLocaleString("en"),
      products: k * k,
    });
    ui.convScale.textContent = "";
    ui.convScale.appendChild(el("span", { text: fmt(-limit, 2) }));
    ui.convScale.appendChild(el("span", { text: "0" }));
    ui.convScale.appendChild(el("span", { text: fmt(limit, 2) }));
    ui.reluScale.textContent = "";
    ui.reluScale.appendChild(el("span", { text: "0" }));
    ui.reluScale.appendChild(el("span", { text: fmt(Math.max(stats.max, 0), 2) }));
    ui.convCaption.textContent = t("convCaption", { width: result.width, height: result.height });
    ui.reluCaption.textContent = t("reluCaption");
    ui.convCanvas.setAttribute("aria-label", t("convAria", {
      width: result.width, height: result.height, min: fmt(stats.min, 2), max: fmt(stats.max, 2),
    }));
    ui.reluCanvas.setAttribute("aria-label", t("reluAria", { percent: Math.round(stats.positive * 100) }));
    describeWeights();
    ui.status.textContent = describe();

    if (!state.probe) {
      var best = stats.argmaxAbs;
      state.probe = { row: Math.floor(best / result.width), col: best % result.width };
    }
    setProbe(state.probe.row, state.probe.col, true);
    if (resized) {
      sharpenAll();
    }
    scheduleAnnounce();
  }

  function describeWeights() {
    var sum = 0;
    for (var i = 0; i < state.weights.length; i++) {
      sum += state.weights[i];
    }
    var invalid = Object.keys(state.problems).length > 0;
    ui.weightSum.textContent = t(invalid ? "sumInvalid" : "sumValid", { sum: trim(sum) }) +
      t(Math.abs(sum) < 1e-9 ? "flatZero" : "flatB", { sum: trim(sum) });
  }

  function trim(value) {
    return weightText(value).replace("-", "\u2212");
  }

  /** Small images are shown with visible pixels, large ones smoothly scaled down. */
  function sharpen(canvas) {
    var shown = canvas.getBoundingClientRect().width;
    canvas.classList.toggle("cp-pixelated", shown > 0 && shown >= canvas.width);
  }

  function sharpenAll() {
    [ui.inputCanvas, ui.convCanvas, ui.reluCanvas].forEach(sharpen);
  }

  // --- The inspector ----------------------------------------------------------------

  var lastPointer = "mouse";

  function positionOf(event) {
    var canvas = event.currentTarget;
    var rect = canvas.getBoundingClientRect();
    if (!rect.width || !rect.height) {
      return null;
    }
    return {
      col: Math.floor((event.clientX - rect.left) / rect.width * state.outW),
      row: Math.floor((event.clientY - rect.top) / rect.height * state.outH),
    };
  }

  function pointAt(event) {
    var at = positionOf(event);
    if (at) {
      setProbe(at.row, at.col, true);
    }
  }

  /** A click pins the position; a second click lets it follow the pointer again. A tap always pins. */
  function onMapClick(event) {
    var at = positionOf(event);
    if (!at) {
      return;
    }
    var touch = lastPointer === "touch" || lastPointer === "pen";
    setProbe(at.row, at.col, true);
    setPinned(touch ? true : !state.pinned);
    if (touch) {
      revealSum();
    }
  }

  /** Bring the worked-out value into view (after a tap on a phone, it may be below). */
  function revealSum() {
    var rect = ui.sum.getBoundingClientRect();
    var height = window.innerHeight || document.documentElement.clientHeight;
    if (rect.top < 0 || rect.bottom > height) {
      ui.sum.scrollIntoView({ block: "nearest" });
    }
  }

  function setPinned(pinned) {
    state.pinned = pinned;
    root.classList.toggle("cp-pinned", pinned);
    ui.pinNote.textContent = t(pinned ? "pinned" : "unpinned");
  }

  function readProbeFields() {
    var row = parseIndex(ui.probeRow.value, state.outH, "row");
    var col = parseIndex(ui.probeCol.value, state.outW, "column");
    ui.probeRow.setAttribute("aria-invalid", row.problem ? "true" : "false");
    ui.probeCol.setAttribute("aria-invalid", col.problem ? "true" : "false");
    var problems = [row.problem, col.problem].filter(Boolean);
    ui.probeError.hidden = problems.length === 0;
    ui.probeError.textContent = problems.length
      ? t("positionKept", { problems: problems.join(" "), row: state.probe.row, col: state.probe.col })
      : "";
    if (problems.length) {
      ui.probeLive.textContent = ui.probeError.textContent;
      return;
    }
    setPinned(true);
    setProbe(row.value, col.value, false);
    ui.probeLive.textContent = ui.sum.textContent;
  }

  function setProbe(row, col, syncFields) {
    if (!state.conv) {
      return;
    }
    row = Math.max(0, Math.min(state.outH - 1, row));
    col = Math.max(0, Math.min(state.outW - 1, col));
    state.probe = { row: row, col: col };
    if (syncFields) {
      ui.probeRow.value = row;
      ui.probeCol.value = col;
      ui.probeRow.setAttribute("aria-invalid", "false");
      ui.probeCol.setAttribute("aria-invalid", "false");
      ui.probeError.hidden = true;
      ui.probeError.textContent = "";
    }
    var k = state.size;
    var input = state.input;
    var patch = [];
    var products = [];
    for (var i = 0; i < k; i++) {
      for (var j = 0; j < k; j++) {
        var value = input.gray[(row + i) * input.width + col + j];
        patch.push(value);
        products.push(value * state.weights[i * k + j]);
      }
    }
    matrix(ui.patchGrid, patch, k, 3);
    matrix(ui.weightGrid, Array.prototype.slice.call(state.weights), k, null);
    matrix(ui.productGrid, products, k, 3);
    var stored = state.conv[row * state.outW + col];
    ui.sum.textContent = "";
    ui.sum.appendChild(el("strong", {
      text: t("sumHead", { row: row, col: col, value: fmt(stored, 4), relu: fmt(Math.max(stored, 0), 4) }),
    }));
    ui.sum.appendChild(document.createTextNode(t("sumTail", {
      count: k * k, row: row, lastRow: row + k - 1, col: col, lastCol: col + k - 1,
    })));
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

  // --- The description, and what a screen reader hears -------------------------------------

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
    return t("describe", {
      name: t(state.input.kind === "own" ? "ownPhoto" : "samplePhoto"),
      width: state.input.width,
      height: state.input.height,
      kernel: preset ? t("presetNamed", { label: presetLabel(preset) }) : t("ownWeights"),
      k: k,
      sum: trim(sum),
      outWidth: state.outW,
      outHeight: state.outH,
      min: fmt(stats.min, 2),
      max: fmt(stats.max, 2),
      percent: Math.round(stats.positive * 100),
    });
  }

  /** Say the given text, or what is wrong, or what is shown. */
  function announce(text) {
    if (announceTimer !== null) {
      clearTimeout(announceTimer);
      announceTimer = null;
    }
    if (state.input && state.stats) {
      var problems = problemSummary();
      ui.announcer.textContent = text || (problems ? problems + " " : "") + describe();
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
    showPresetNote();
    setPinned(false);
    return loadSamplePhoto().then(function () {
      announce();
    });
  }

  // data.js (written by the build from the convbook package) sets window.convPlaygroundData.
  var ready = page.start(root, core && window.convPlaygroundData, t, function (data) {
    state.data = data;
    return start();
  });

  /** For the tests and the benchmark (read-only views of the state). */
  window.convPlayground = {
    ready: ready,
    /** The language of the playground's words: "ko" or "en". */
    language: LANG,
    timings: state.timings,
    snapshot: function () {
      return {
        preset: state.presetId,
        size: state.size,
        weights: Array.prototype.slice.call(state.weights),
        // The input's name in English ("the sample photo", "your photo") whatever the page's language.
        input: {
          width: state.input.width,
          height: state.input.height,
          kind: state.input.kind,
          name: MESSAGES.en[state.input.kind === "own" ? "ownPhoto" : "samplePhoto"],
        },
        output: { width: state.outW, height: state.outH },
        stats: state.stats,
        probe: state.probe,
        pinned: state.pinned,
        invalidCells: Object.keys(state.problems).map(Number),
      };
    },
    /** The input's gray values as base64 of little-endian float32. */
    inputBase64: function () {
      return page.encode(state.input.gray);
    },
    /** The feature map before ReLU as base64 of little-endian float32. */
    featureMapBase64: function () {
      return page.encode(state.conv);
    },
  };
})();
