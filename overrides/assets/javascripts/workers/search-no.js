// Material's search worker, with Norwegian query stems (README: "Search in Norwegian").
//
// overrides/main.html points Material at this file, with Material's own worker
// in ?material=; it lives beside that worker, so the worker's "../lunr" paths
// still resolve. Each query word is cut to its query stem before Material's
// worker sees it: the Snowball stem (lunr.no.stemmer, loaded by the worker for
// `lang: ["no"]`), then one ending of config.norwegian.endings more, as long as
// config.norwegian.minStem letters remain. Material searches every word as a
// prefix, so the stem finds every inflection. The rules come with the index,
// from hooks/hub/search.py. Stop words and anything with lunr syntax
// (+, -, ~, ^, *, :, quotes) are left as typed.
"use strict";

(() => {
  const SETUP = 0, QUERY = 2, RESULT = 3;
  const WORKER = /^search\.[0-9a-f]+\.min\.js$/;
  let rules = null;
  let typed = new Map();                 // query stem -> the word the reader typed, for this query

  function queryStem(word) {
    const lunr = self.lunr, lower = word.toLowerCase();
    if (!lunr || !lunr.no || !lunr.no.stopWordFilter(lower)) return lower;
    let stem = lunr.no.stemmer(new lunr.Token(lower)).toString();
    const ending = rules.endings.find(end => stem.endsWith(end) && stem.length - end.length >= rules.minStem);
    if (ending) stem = stem.slice(0, -ending.length);
    return stem.length >= rules.minStem ? stem : lower;
  }

  function rewrite(query) {
    typed = new Map();
    return query.split(/(\s+)/).map(part => {
      if (!/^\p{L}+$/u.test(part)) return part;
      const stem = queryStem(part);
      if (!typed.has(stem)) typed.set(stem, part);
      return stem;
    }).join("");
  }

  // "Mangler: selgerne", not "Mangler: selg": a missing term is named as typed.
  function nameMissing(result) {
    for (const group of result.items || [])
      for (const item of group) {
        const terms = {};
        for (const [term, found] of Object.entries(item.terms || {}))
          terms[found ? term : typed.get(term) || term] = found;
        item.terms = terms;
      }
  }

  addEventListener("message", event => {
    const message = event.data;
    if (message.type === SETUP)
      rules = (message.data.config || {}).norwegian || null;
    else if (message.type === QUERY && rules && typeof message.data === "string")
      message.data = rewrite(message.data);
  });

  const post = self.postMessage.bind(self);
  self.postMessage = message => {
    if (message && message.type === RESULT && rules) nameMissing(message.data);
    post(message);
  };

  const worker = new URL(location.href).searchParams.get("material") || "";
  if (!WORKER.test(worker)) throw new Error(`search-no.js: no Material worker in ?material=${worker}`);
  importScripts(worker);
})();
