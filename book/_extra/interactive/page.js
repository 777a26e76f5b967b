/*
 * What the book's interactive pages (the kernel playground and the CNN lab)
 * share in the browser, apart from the numbers (cnn-core.js): their words in
 * the page's language, the page's elements, the message shown when a page
 * cannot start, and base64 for the tests' and the benchmark's read-back.
 *
 * A classic script, not an ES module (ES modules do not load from file://,
 * and the offline zip is opened from disk): it defines one global,
 * window.ConvbookPage, which playground.js and lab.js use.
 */
(function (root) {
  "use strict";

  /** The page's language: "ko" where <html lang> is Korean ("ko", "ko-KR"), else "en". */
  var LANGUAGE = /^ko(-|$)/i.test(document.documentElement.getAttribute("lang") || "") ? "ko" : "en";

  /**
   * t(key, params) for a table of messages by language ({en: {...}, ko: {...}},
   * the same keys): the text in the page's language (English for any key a
   * language lacks), its {placeholders} filled by format().
   */
  function translator(messages) {
    return function t(key, params) {
      var table = messages[LANGUAGE] || messages.en;
      var template = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : messages.en[key];
      return format(template, params);
    };
  }

  /**
   * Fill {name} with params.name. {name|은} also adds the Korean particle
   * that fits how the value ends (은 or 는; 이/가, 을/를, 과/와 likewise).
   */
  function format(template, params) {
    return String(template).replace(/\{(\w+)(?:\|([^}]))?\}/g, function (whole, key, particle) {
      if (!params || !Object.prototype.hasOwnProperty.call(params, key)) {
        return whole;
      }
      var value = String(params[key]);
      return particle ? value + josa(value, particle) : value;
    });
  }

  var PARTICLES = { "은": "은는", "는": "은는", "이": "이가", "가": "이가", "을": "을를", "를": "을를", "과": "과와", "와": "과와" };

  /**
   * The particle of a pair that follows `word`: the first form after a final
   * consonant (사진은, 커널은), the second after a vowel (예제는). Digits and
   * Latin letters are read as a Korean reader says them (1 일, 2 이, ...; the
   * letters l, m, n and r end in a consonant); where it cannot tell (after a
   * symbol), both forms: 은(는).
   */
  function josa(word, particle) {
    var pair = PARTICLES[particle];
    if (!pair) {
      return particle;
    }
    var text = word.replace(/[\s\u201d\u2019"')\]]+$/, "");
    var last = text.charAt(text.length - 1);
    var code = last.charCodeAt(0);
    var final = null;
    if (code >= 0xac00 && code <= 0xd7a3) {
      final = (code - 0xac00) % 28 !== 0;
    } else if (/[0-9]/.test(last)) {
      final = "013678".indexOf(last) >= 0;
    } else if (/[a-z]/i.test(last)) {
      final = /[lmnr]/i.test(last);
    }
    if (final === null) {
      return pair.charAt(0) + "(" + pair.charAt(1) + ")";
    }
    return final ? pair.charAt(0) : pair.charAt(1);
  }

  /**
   * A new element: attrs.text is its text, attrs.className its class, any
   * other attribute is set (true as a bare attribute; false, null and
   * undefined leave it out); children are nodes or strings.
   */
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

  /**
   * The page could not start: its container shows one alert, say(reason),
   * in place of everything else, and the console has the error.
   */
  function fail(container, say, error) {
    container.textContent = "";
    container.appendChild(el("p", {
      className: "ci-error",
      role: "alert",
      text: say(error && error.message ? error.message : String(error)),
    }));
    console.error(container.id + ":", error);
  }

  /**
   * Start a page: begin(data) builds it (it may return a promise), then the
   * container gets data-ready="true" (the tests wait for it). Without its
   * data (data.js or a shared script did not load) or when begin fails, the
   * container shows the error instead. t is the page's translator; its
   * messages "noData" and "couldNotStart" ({reason}) say what went wrong.
   * Returns the promise of the whole start.
   */
  function start(container, data, t, begin) {
    return new Promise(function (resolve, reject) {
      if (data) {
        resolve(data);
      } else {
        reject(new Error(t("noData")));
      }
    }).then(begin).then(function () {
      container.setAttribute("data-ready", "true");
    }, function (error) {
      fail(container, function (reason) {
        return t("couldNotStart", { reason: reason });
      }, error);
    });
  }

  /** A typed array's bytes (little-endian on every browser the book supports) as base64. */
  function encode(values) {
    var bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    var chunks = [];
    for (var i = 0; i < bytes.length; i += 0x8000) {
      chunks.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000)));
    }
    return btoa(chunks.join(""));
  }

  root.ConvbookPage = {
    language: LANGUAGE,
    translator: translator,
    format: format,
    el: el,
    fail: fail,
    start: start,
    encode: encode,
  };
})(window);
