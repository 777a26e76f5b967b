/*
 * The book's one browser core for a CNN's forward pass (issue 23, section 3).
 *
 * Convolution (stride, padding with four modes, dilation, channels, bias),
 * ReLU, max pooling, a linear layer, softmax, the forward pass of the deeper
 * chapter's network (convbook.LeNetDigits), and the drawing-to-digit
 * preprocessing of convbook.lab.digit_from_ink, step for step.
 *
 * Tensors are {channels, height, width, data: Float32Array} in PyTorch's
 * (C, H, W) order, row by row. Sums are taken in float64 and stored as
 * float32, like the float32 layers they stand for.
 *
 * A classic script, not an ES module (ES modules do not load from file://,
 * and the offline zip is opened from disk): in a page it defines one global,
 * window.ConvbookCnn; under Node, require() returns the same object.
 */
(function (root, factory) {
  "use strict";
  var core = factory();
  if (typeof module === "object" && module && module.exports) {
    module.exports = core;
  }
  if (root) {
    root.ConvbookCnn = core;
  }
})(typeof window !== "undefined" ? window : typeof globalThis !== "undefined" ? globalThis : null, function () {
  "use strict";

  /** Side of the square the ink is scaled into, and of the blocks whose ink is counted. */
  var BITMAP_SIDE = 32;
  var BLOCK = 4;
  /** A canvas pixel is ink when its alpha is at least this (convbook.lab.INK_ALPHA). */
  var INK_ALPHA = 128;

  function tensor(channels, height, width, data) {
    return {
      channels: channels,
      height: height,
      width: width,
      data: data || new Float32Array(channels * height * width),
    };
  }

  function pair(value, fallback) {
    if (value === undefined || value === null) {
      return [fallback, fallback];
    }
    return typeof value === "number" ? [value, value] : [value[0], value[1]];
  }

  /** Output side of a convolution or pooling: floor((n + 2p - d(k - 1) - 1) / s) + 1. */
  function outputSize(size, kernel, stride, padding, dilation) {
    return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
  }

  /**
   * Where padded index i (-padding <= i < n + padding) reads in an input of n,
   * or -1 for a zero; PyTorch's padding modes.
   */
  function sourceIndex(i, n, mode) {
    if (i >= 0 && i < n) {
      return i;
    }
    if (mode === "zeros") {
      return -1;
    }
    if (mode === "replicate") {
      return i < 0 ? 0 : n - 1;
    }
    if (mode === "circular") {
      return ((i % n) + n) % n;
    }
    if (mode === "reflect") {
      if (n === 1) {
        return 0;
      }
      var period = 2 * (n - 1);
      var j = ((i % period) + period) % period;
      return j < n ? j : period - j;
    }
    throw new Error("unknown padding mode " + mode);
  }

  /**
   * conv2d(input, weight, bias, options): PyTorch's Conv2d (a cross-correlation).
   * weight: {shape: [outC, inC, kh, kw], data: Float32Array}; bias: Float32Array or null;
   * options: {stride, padding, dilation} (a number or [rows, cols]), paddingMode
   * ("zeros", "reflect", "replicate" or "circular"), off: output channels to set to zero.
   */
  function conv2d(input, weight, bias, options) {
    options = options || {};
    var stride = pair(options.stride, 1);
    var padding = pair(options.padding, 0);
    var dilation = pair(options.dilation, 1);
    var mode = options.paddingMode || "zeros";
    var outC = weight.shape[0];
    var inC = weight.shape[1];
    var kh = weight.shape[2];
    var kw = weight.shape[3];
    if (inC !== input.channels) {
      throw new Error("the kernel takes " + inC + " channels, the input has " + input.channels);
    }
    var H = input.height;
    var W = input.width;
    var outH = outputSize(H, kh, stride[0], padding[0], dilation[0]);
    var outW = outputSize(W, kw, stride[1], padding[1], dilation[1]);
    if (outH < 1 || outW < 1) {
      throw new Error("the kernel does not fit the padded input");
    }
    var out = tensor(outC, outH, outW);
    // The input row and column each kernel tap reads, per output position (-1: a zero).
    var rowOf = new Int32Array(outH * kh);
    var colOf = new Int32Array(outW * kw);
    var r, c, i, j;
    for (r = 0; r < outH; r++) {
      for (i = 0; i < kh; i++) {
        rowOf[r * kh + i] = sourceIndex(r * stride[0] - padding[0] + i * dilation[0], H, mode);
      }
    }
    for (c = 0; c < outW; c++) {
      for (j = 0; j < kw; j++) {
        colOf[c * kw + j] = sourceIndex(c * stride[1] - padding[1] + j * dilation[1], W, mode);
      }
    }
    // For each kernel column j, the output columns [lo, hi) whose tap j falls
    // inside the input (no padding involved).
    var inside = new Int32Array(2 * kw);
    var col;
    for (j = 0; j < kw; j++) {
      var first = 0;
      while (first < outW && first * stride[1] - padding[1] + j * dilation[1] < 0) {
        first++;
      }
      var last = first;
      while (last < outW && last * stride[1] - padding[1] + j * dilation[1] < W) {
        last++;
      }
      inside[2 * j] = first;
      inside[2 * j + 1] = last;
    }
    var off = options.off || null;
    var x = input.data;
    var w = weight.data;
    var plane = outH * outW;
    // One tap at a time over every output position (rows of the input read in
    // order: fast on a photo), summed in float64 in the order (channel, row,
    // column of the kernel), the same order for every output.
    var acc = new Float64Array(plane);
    for (var o = 0; o < outC; o++) {
      if (off && off[o]) {
        continue; // a switched-off channel: its map stays zero
      }
      acc.fill(0);
      for (var ch = 0; ch < inC; ch++) {
        var source = ch * H * W;
        var kernel = (o * inC + ch) * kh * kw;
        for (i = 0; i < kh; i++) {
          for (j = 0; j < kw; j++) {
            var tap = w[kernel + i * kw + j];
            for (r = 0; r < outH; r++) {
              var row = rowOf[r * kh + i];
              if (row < 0) {
                continue;
              }
              var from = source + row * W;
              var to = r * outW;
              // Inside the input, column c reads c * stride + shift; only the
              // padded edges need the look-up table.
              var lo = inside[2 * j];
              var hi = inside[2 * j + 1];
              var shift = from + j * dilation[1] - padding[1];
              for (c = 0; c < lo; c++) {
                col = colOf[c * kw + j];
                if (col >= 0) {
                  acc[to + c] += x[from + col] * tap;
                }
              }
              if (stride[1] === 1) {
                for (c = lo; c < hi; c++) {
                  acc[to + c] += x[shift + c] * tap;
                }
              } else {
                for (c = lo; c < hi; c++) {
                  acc[to + c] += x[shift + c * stride[1]] * tap;
                }
              }
              for (c = hi; c < outW; c++) {
                col = colOf[c * kw + j];
                if (col >= 0) {
                  acc[to + c] += x[from + col] * tap;
                }
              }
            }
          }
        }
      }
      var b = bias ? bias[o] : 0;
      var start = o * plane;
      for (var n = 0; n < plane; n++) {
        out.data[start + n] = acc[n] + b;
      }
    }
    return out;
  }

  /** ReLU: max(0, x), a new tensor. */
  function relu(input) {
    var out = tensor(input.channels, input.height, input.width);
    for (var k = 0; k < input.data.length; k++) {
      out.data[k] = input.data[k] > 0 ? input.data[k] : 0;
    }
    return out;
  }

  /** PyTorch's MaxPool2d(kernel, stride = kernel), no padding: the largest value of each window. */
  function maxPool2d(input, kernel, stride) {
    var k = pair(kernel, 2);
    var s = pair(stride === undefined ? kernel : stride, 2);
    var outH = outputSize(input.height, k[0], s[0], 0, 1);
    var outW = outputSize(input.width, k[1], s[1], 0, 1);
    var out = tensor(input.channels, outH, outW);
    for (var ch = 0; ch < input.channels; ch++) {
      var plane = ch * input.height * input.width;
      for (var r = 0; r < outH; r++) {
        for (var c = 0; c < outW; c++) {
          var best = -Infinity;
          for (var i = 0; i < k[0]; i++) {
            for (var j = 0; j < k[1]; j++) {
              var v = input.data[plane + (r * s[0] + i) * input.width + c * s[1] + j];
              if (v > best || v !== v) {
                best = v; // NaN wins, as in PyTorch
              }
            }
          }
          out.data[(ch * outH + r) * outW + c] = best;
        }
      }
    }
    return out;
  }

  /** PyTorch's Linear: weight {shape: [out, in], data}, bias Float32Array; x a Float32Array of in values. */
  function linear(x, weight, bias) {
    var n = weight.shape[0];
    var m = weight.shape[1];
    if (x.length !== m) {
      throw new Error("the layer takes " + m + " values, got " + x.length);
    }
    var out = new Float32Array(n);
    for (var o = 0; o < n; o++) {
      var sum = 0;
      for (var i = 0; i < m; i++) {
        sum += x[i] * weight.data[o * m + i];
      }
      out[o] = sum + (bias ? bias[o] : 0);
    }
    return out;
  }

  /** Softmax of scores (an array of numbers), in float64, shifted by the largest for safety. */
  function softmax(scores) {
    var largest = -Infinity;
    var k;
    for (k = 0; k < scores.length; k++) {
      largest = Math.max(largest, scores[k]);
    }
    var exps = new Float64Array(scores.length);
    var total = 0;
    for (k = 0; k < scores.length; k++) {
      exps[k] = Math.exp(scores[k] - largest);
      total += exps[k];
    }
    for (k = 0; k < scores.length; k++) {
      exps[k] /= total;
    }
    return exps;
  }

  function argmax(values) {
    var best = 0;
    for (var k = 1; k < values.length; k++) {
      if (values[k] > values[best]) {
        best = k;
      }
    }
    return best;
  }

  // --- The deeper chapter's network ------------------------------------------------------

  /** The bytes (Uint8Array) of base64 text, in a page (atob) or under Node (Buffer). */
  function decodeBase64(text) {
    var bytes;
    if (typeof atob === "function") {
      var binary = atob(text);
      bytes = new Uint8Array(binary.length);
      for (var k = 0; k < binary.length; k++) {
        bytes[k] = binary.charCodeAt(k);
      }
    } else {
      bytes = new Uint8Array(Buffer.from(text, "base64"));
    }
    return bytes;
  }

  /** Float32 values from base64 of their little-endian bytes (convbook.lab's encoding). */
  function decodeFloat32(text) {
    var bytes = decodeBase64(text);
    var view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    var out = new Float32Array(bytes.byteLength / 4);
    for (var k = 0; k < out.length; k++) {
      out[k] = view.getFloat32(4 * k, true);
    }
    return out;
  }

  /**
   * The network of lab/data.js (convbook.lab_export): {name: {shape, data: Float32Array}}
   * for conv1.weight, conv1.bias, conv2.weight, conv2.bias, fc.weight, fc.bias.
   */
  function networkFromData(data) {
    var network = {};
    Object.keys(data.parameters).forEach(function (name) {
      var entry = data.parameters[name];
      network[name] = { shape: entry.shape.slice(), data: decodeFloat32(entry.data) };
    });
    return network;
  }

  /** A copy of a network whose arrays can be edited without touching the original. */
  function copyNetwork(network) {
    var copy = {};
    Object.keys(network).forEach(function (name) {
      copy[name] = { shape: network[name].shape.slice(), data: new Float32Array(network[name].data) };
    });
    return copy;
  }

  /** The test digits of lab/data.js: {count, images: [Float32Array(64)], labels}. */
  function digitsFromData(data) {
    var counts = decodeBase64(data.digits.counts);
    var images = [];
    for (var n = 0; n < data.digits.count; n++) {
      var image = new Float32Array(64);
      for (var k = 0; k < 64; k++) {
        image[k] = counts[n * 64 + k] / 16;
      }
      images.push(image);
    }
    return { count: data.digits.count, images: images, labels: data.digits.labels.slice() };
  }

  /**
   * LeNetDigits' forward pass on one 8x8 digit (a Float32Array of 64 values),
   * every layer's output kept: conv1, relu1, pool1, conv2, relu2, pool2 (tensors),
   * logits (Float32Array(10)), probabilities (softmax) and the predicted digit.
   * options.off = {conv1: [bools], conv2: [bools]} switches output channels off.
   */
  function forward(network, image, options) {
    var off = (options && options.off) || {};
    var input = tensor(1, 8, 8, image);
    var conv1 = conv2d(input, network["conv1.weight"], network["conv1.bias"].data, { padding: 1, off: off.conv1 });
    var relu1 = relu(conv1);
    var pool1 = maxPool2d(relu1, 2);
    var conv2 = conv2d(pool1, network["conv2.weight"], network["conv2.bias"].data, { padding: 1, off: off.conv2 });
    var relu2 = relu(conv2);
    var pool2 = maxPool2d(relu2, 2);
    var logits = linear(pool2.data, network["fc.weight"], network["fc.bias"].data);
    var probabilities = softmax(logits);
    return {
      input: input,
      conv1: conv1,
      relu1: relu1,
      pool1: pool1,
      conv2: conv2,
      relu2: relu2,
      pool2: pool2,
      logits: logits,
      probabilities: probabilities,
      prediction: argmax(logits),
    };
  }

  /** The fraction of digits classified right, and the indexes of those classified wrong. */
  function accuracy(network, digits, options) {
    var wrong = [];
    for (var n = 0; n < digits.count; n++) {
      if (forward(network, digits.images[n], options).prediction !== digits.labels[n]) {
        wrong.push(n);
      }
    }
    return { accuracy: (digits.count - wrong.length) / digits.count, wrong: wrong };
  }

  // --- A drawing made into a digit (convbook.lab.digit_from_ink) ----------------------------

  /** Ink mask (Uint8Array, 1 = ink) of canvas pixels: alpha >= INK_ALPHA. */
  function inkFromRGBA(rgba, width, height) {
    var ink = new Uint8Array(width * height);
    for (var k = 0; k < ink.length; k++) {
      ink[k] = rgba[4 * k + 3] >= INK_ALPHA ? 1 : 0;
    }
    return ink;
  }

  /**
   * Gray levels (Uint8Array) of RGBA pixels, as OpenCV's cvtColor turns colour
   * into gray on 8-bit images: fixed-point weights {r, g, b, shift} (the lab's
   * data.js has the installed OpenCV's), rounded.
   */
  function grayFromRGBA(rgba, width, height, weights) {
    var half = 1 << (weights.shift - 1);
    var gray = new Uint8Array(width * height);
    for (var k = 0, p = 0; k < gray.length; k++, p += 4) {
      gray[k] = (rgba[p] * weights.r + rgba[p + 1] * weights.g + rgba[p + 2] * weights.b + half) >> weights.shift;
    }
    return gray;
  }

  /**
   * Otsu's threshold of 8-bit gray levels: the level that best splits them into two
   * groups (the largest between-group variance), step for step as OpenCV computes it
   * (THRESH_OTSU), so that both pick the same level.
   */
  function otsuThreshold(gray) {
    var FLT_EPSILON = 1.1920928955078125e-7;
    var histogram = new Float64Array(256);
    for (var k = 0; k < gray.length; k++) {
      histogram[gray[k]] += 1;
    }
    var scale = 1 / gray.length;
    var mu = 0;
    for (var i = 0; i < 256; i++) {
      mu += i * histogram[i];
    }
    mu *= scale;
    var mu1 = 0;
    var q1 = 0;
    var maxSigma = 0;
    var maxValue = 0;
    for (i = 0; i < 256; i++) {
      var p = histogram[i] * scale;
      mu1 *= q1;
      q1 += p;
      var q2 = 1 - q1;
      if (Math.min(q1, q2) < FLT_EPSILON || Math.max(q1, q2) > 1 - FLT_EPSILON) {
        continue;
      }
      mu1 = (mu1 + i * p) / q1;
      var mu2 = (mu - q1 * mu1) / q2;
      var sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
      if (sigma > maxSigma) {
        maxSigma = sigma;
        maxValue = i;
      }
    }
    return maxValue;
  }

  /** Ink mask (Uint8Array, 1 = ink) of a photo's pixels: the gray levels at or below Otsu's threshold. */
  function inkFromPhoto(rgba, width, height, weights) {
    var gray = grayFromRGBA(rgba, width, height, weights);
    var threshold = otsuThreshold(gray);
    var ink = new Uint8Array(gray.length);
    for (var k = 0; k < gray.length; k++) {
      ink[k] = gray[k] <= threshold ? 1 : 0;
    }
    return ink;
  }

  function spans(source, target) {
    var start = new Int32Array(target);
    var end = new Int32Array(target);
    for (var i = 0; i < target; i++) {
      start[i] = Math.floor((i * source) / target);
      end[i] = Math.max(start[i] + 1, Math.floor(((i + 1) * source) / target));
    }
    return { start: start, end: end };
  }

  /**
   * The 8x8 digit (Float32Array(64), values k / 16) of an ink mask, or null when
   * there is no ink: crop to the ink's bounding box, scale to fit 32x32 keeping
   * the aspect, centre, count the ink of each 4x4 block, divide by 16.
   */
  function digitFromInk(ink, width, height) {
    var top = height;
    var bottom = -1;
    var left = width;
    var right = -1;
    var r, c;
    for (r = 0; r < height; r++) {
      for (c = 0; c < width; c++) {
        if (ink[r * width + c]) {
          if (r < top) top = r;
          if (r > bottom) bottom = r;
          if (c < left) left = c;
          if (c > right) right = c;
        }
      }
    }
    if (bottom < 0) {
      return null;
    }
    var h = bottom - top + 1;
    var w = right - left + 1;
    var longer = Math.max(h, w);
    var scaledH = Math.max(1, Math.floor((2 * BITMAP_SIDE * h + longer) / (2 * longer)));
    var scaledW = Math.max(1, Math.floor((2 * BITMAP_SIDE * w + longer) / (2 * longer)));
    // Summed-area table of the crop: the ink in any box in four look-ups.
    var table = new Int32Array((h + 1) * (w + 1));
    for (r = 0; r < h; r++) {
      var rowSum = 0;
      for (c = 0; c < w; c++) {
        rowSum += ink[(top + r) * width + left + c] ? 1 : 0;
        table[(r + 1) * (w + 1) + c + 1] = table[r * (w + 1) + c + 1] + rowSum;
      }
    }
    var rows = spans(h, scaledH);
    var cols = spans(w, scaledW);
    var offsetTop = Math.floor((BITMAP_SIDE - scaledH) / 2);
    var offsetLeft = Math.floor((BITMAP_SIDE - scaledW) / 2);
    var side = BITMAP_SIDE / BLOCK;
    var counts = new Int32Array(side * side);
    for (r = 0; r < scaledH; r++) {
      var r0 = rows.start[r];
      var r1 = rows.end[r];
      for (c = 0; c < scaledW; c++) {
        var c0 = cols.start[c];
        var c1 = cols.end[c];
        var inBox = table[r1 * (w + 1) + c1] - table[r0 * (w + 1) + c1] - table[r1 * (w + 1) + c0] +
          table[r0 * (w + 1) + c0];
        if (2 * inBox >= (r1 - r0) * (c1 - c0)) {
          var y = offsetTop + r;
          var x = offsetLeft + c;
          counts[Math.floor(y / BLOCK) * side + Math.floor(x / BLOCK)] += 1;
        }
      }
    }
    var digit = new Float32Array(side * side);
    for (var k = 0; k < digit.length; k++) {
      digit[k] = counts[k] / (BLOCK * BLOCK);
    }
    return digit;
  }

  return {
    BITMAP_SIDE: BITMAP_SIDE,
    BLOCK: BLOCK,
    INK_ALPHA: INK_ALPHA,
    tensor: tensor,
    outputSize: outputSize,
    conv2d: conv2d,
    relu: relu,
    maxPool2d: maxPool2d,
    linear: linear,
    softmax: softmax,
    argmax: argmax,
    decodeBase64: decodeBase64,
    decodeFloat32: decodeFloat32,
    networkFromData: networkFromData,
    copyNetwork: copyNetwork,
    digitsFromData: digitsFromData,
    forward: forward,
    accuracy: accuracy,
    inkFromRGBA: inkFromRGBA,
    grayFromRGBA: grayFromRGBA,
    otsuThreshold: otsuThreshold,
    inkFromPhoto: inkFromPhoto,
    digitFromInk: digitFromInk,
  };
});
