/* The search page's ranking, snippets and language offer (issue 18).
 *
 * Loaded, deferred, on search.html only, after Sphinx's searchtools.js and
 * the index, and after _static/convbook-search-data.js (window.CONVBOOK_SEARCH,
 * written by book/_ext/convbook_search.py: each page's prose by section, a
 * translation's English titles, the other languages' search pages).
 *
 * - One result per page; a page whose title holds every word of the query
 *   (stemmed by the index's own Stemmer) ranks first.
 * - Each result's snippet comes from the page's prose in the data, not from
 *   fetching the page (Sphinx's fetch is off: html_show_search_summary), so
 *   search works from file:// too.
 * - A query in another language's script offers that language's search.
 */
"use strict";
(() => {
  const data = window.CONVBOOK_SEARCH;
  if (typeof Search === "undefined" || !data) return;
  const stemmer = new Stemmer();
  /* Words as the index has them: split, lowercased, no stop words or numbers, stemmed. */
  const indexWords = (text) => splitQuery(text.replace(/<[^>]*>/g, " ").toLowerCase())
    .filter((word) => !/^\d+$/.test(word) && stopwords.indexOf(word) === -1)
    .map((word) => stemmer.stemWord(word));

  /* --- Ranking ------------------------------------------------------------ */
  const titleWords = new Map();
  /* For each of a page's titles (its own, then its English one): its words. */
  const titlesOf = (file) => {
    if (!titleWords.has(file)) {
      const index = Search._index;
      const titles = [index.titles[file], ...(data.titles[index.docnames[file]] || [])];
      titleWords.set(file, titles.map((title) => new Set(indexWords(title))));
    }
    return titleWords.get(file);
  };
  /* 0 unless one of the page's titles holds every term; then the share of that title's words. */
  const titleCoverage = (file, terms) => Math.max(0, ...titlesOf(file).map((words) =>
    terms.length && words.size && terms.every((term) => words.has(term)) ? terms.length / words.size : 0));

  const rank = (results, searchTerms, excludedTerms) => {
    const index = Search._index;
    const terms = [...searchTerms];
    const pages = new Map();
    const objects = [];
    for (const result of results) {
      if (result[3]) { objects.push(result); continue; }  // an object (API) result: as Sphinx ranks it
      const kept = pages.get(result[0]);
      if (!kept || result[4] > kept[4]) pages.set(result[0], result);
    }
    // A page whose title matches is listed even when Sphinx's word search
    // missed it (a translation's English title is in no index).
    if (!excludedTerms.size) {
      index.docnames.forEach((docname, file) => {
        if (!pages.has(docname) && titleCoverage(file, terms) > 0)
          pages.set(docname, [docname, index.titles[file], "", null, 0, index.filenames[file]]);
      });
    }
    for (const result of pages.values()) {
      const file = index.docnames.indexOf(result[0]);
      if (file < 0) continue;
      const coverage = titleCoverage(file, terms);
      if (coverage > 0) {
        result[2] = "";
        result[4] = 1000 + Math.round(100 * coverage);
      }
      // The page itself, under its title (Sphinx writes "T > T" for a page
      // title found among the section titles).
      if (result[2] === "") result[1] = index.titles[file];
    }
    const ranked = [...pages.values(), ...objects];
    ranked.sort(_orderResultsByScoreThenName);  // best last: searchtools.js pops them
    return ranked;
  };

  let current = { terms: [], words: [] };
  const performSearch = Search._performSearch;
  Search._performSearch = (query, searchTerms, excludedTerms, highlightTerms, objectTerms) => {
    current = { terms: [...searchTerms], words: [...highlightTerms] };
    return rank(performSearch(query, searchTerms, excludedTerms, highlightTerms, objectTerms),
                searchTerms, excludedTerms);
  };

  /* --- Snippets ----------------------------------------------------------- */
  /* The prose of a page, or of one section and its subsections. */
  const proseOf = (docname, anchor) => {
    const chunks = data.pages[docname] || [];
    let start = anchor ? chunks.findIndex((chunk) => chunk[0] === anchor) : -1;
    if (start < 0) return chunks.map((chunk) => chunk[2]).join(" ");
    const depth = chunks[start][1];
    const parts = [chunks[start][2]];
    for (let i = start + 1; i < chunks.length && chunks[i][1] > depth; i++) parts.push(chunks[i][2]);
    return parts.join(" ");
  };

  const SNIPPET = 240, BEFORE = 80;
  const snippetOf = (text, words, terms) => {
    const lower = text.toLowerCase();
    let at = -1;
    for (const needle of [...words, ...terms]) {
      const found = lower.indexOf(needle);
      if (found >= 0 && (at < 0 || found < at)) at = found;
    }
    let start = Math.max(0, at - BEFORE);
    if (start > 0) {  // from the start of a word
      const space = text.indexOf(" ", start);
      if (space >= 0 && space < at) start = space + 1;
    }
    let end = Math.min(text.length, start + SNIPPET);
    if (end < text.length) {
      const space = text.lastIndexOf(" ", end);
      if (space > start + SNIPPET / 2) end = space;
    }
    return (start > 0 ? "…" : "") + text.slice(start, end).trim() + (end < text.length ? "…" : "");
  };

  const linkSuffix = DOCUMENTATION_OPTIONS.LINK_SUFFIX || ".html";
  const addSnippet = (item) => {
    if (item.querySelector("p.context")) return;
    const link = item.querySelector("a");
    if (!link) return;
    const [path, anchor] = link.getAttribute("href").split("#");
    const docname = path.endsWith(linkSuffix) ? path.slice(0, -linkSuffix.length) : path;
    const text = proseOf(docname, anchor || "");
    if (!text) return;
    const snippet = item.appendChild(document.createElement("p"));
    snippet.classList.add("context");
    snippet.textContent = snippetOf(text, current.words, current.terms);
    if (typeof _highlightText === "function" && typeof SPHINX_HIGHLIGHT_ENABLED !== "undefined"
        && SPHINX_HIGHLIGHT_ENABLED) {
      [...current.words, ...current.terms].forEach((term) => _highlightText(snippet, term, "highlighted"));
    }
  };

  /* --- Another language's search ----------------------------------------- */
  const offerOtherLanguage = (query) => {
    for (const [code, language] of Object.entries(data.languages || {})) {
      if (!new RegExp(language.script, "u").test(query)) continue;
      const offer = document.createElement("p");
      offer.classList.add("convbook-search-language");
      offer.append(`${language.intro} `);
      const link = offer.appendChild(document.createElement("a"));
      link.href = `${language.url}?q=${encodeURIComponent(query)}`;
      link.hreflang = code;
      link.textContent = `${language.offer} “${query}” `;
      const native = link.appendChild(document.createElement("span"));
      native.lang = code;
      native.textContent = `(${language.offer_native})`;
      Search.title.after(offer);
    }
  };

  const perform = Search.performSearch;
  Search.performSearch = (query) => {
    perform(query);
    offerOtherLanguage(query);
  };

  const results = document.getElementById("search-results");
  if (results) {
    new MutationObserver(() => results.querySelectorAll("ul.search > li").forEach(addSnippet))
      .observe(results, { childList: true, subtree: true });
  }
})();
