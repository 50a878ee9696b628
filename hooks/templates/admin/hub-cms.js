/* The hub's additions to Decap CMS (hooks/admin.py copies this file to admin/hub-cms.js).
 *
 * - preSave: a new article's slug (its file name and URL) is made from its title with the
 *   rules of hooks/hub/slug.py (æ→ae, ø→o, å→a), once; later title edits keep it.
 *   An article with a sharing image must describe it (image_alt).
 * - The preview pane uses the site's own stylesheets and shows the article as readers see
 *   it: the title, the byline (authors, date, categories) and the body.
 * No build step: Decap exposes h() and createClass on window.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var styles = JSON.parse(script.dataset.styles);
  var authors = JSON.parse(script.dataset.authors);
  var rules = JSON.parse(script.dataset.rules);
  var notWord = new RegExp(rules.not_word);

  function slugify(text) {
    var folded = Array.from(String(text)).map(function (letter) {
      return Object.prototype.hasOwnProperty.call(rules.transliterate, letter) ? rules.transliterate[letter] : letter;
    }).join("");
    folded = folded.normalize("NFKD").replace(/[^\x00-\x7f]/g, "");
    var words = folded.toLowerCase().split(notWord).filter(Boolean);
    var slug = "";
    for (var index = 0; index < words.length; index++) {
      var candidate = slug ? slug + "-" + words[index] : words[index];
      if (candidate.length > rules.max_length && slug) { break; }
      slug = candidate;
    }
    return slug.slice(0, rules.max_length);
  }
  window.hubSlugify = slugify;  // for tests/test_editor.py, which compares it with hub/slug.py
  if (!window.CMS) { return; }

  // Decap writes YAML 1.2, where these are plain text; the build reads YAML 1.1 (PyYAML), where
  // they are booleans or base-60 numbers. A value that is only one of them would change meaning.
  var YAML_1_1 = /^(y|yes|n|no|on|off|true|false|~|null|[0-9]+(:[0-5]?[0-9])+)$/i;
  var TEXT_KEYS = ["title", "description", "image_alt", "tags", "related"];

  function textValues(data) {
    var found = [];
    TEXT_KEYS.forEach(function (key) {
      var value = data.get(key);
      (value && value.toJS ? value.toJS() : [value]).forEach(function (item) {
        if (typeof item === "string") { found.push(item); }
      });
    });
    return found;
  }

  CMS.registerEventListener({
    name: "preSave",
    handler: function (event) {
      var data = event.entry.get("data");
      if (!data.get("slug")) {
        data = data.set("slug", slugify(data.get("title") || ""));
      }
      var misread = textValues(data).filter(function (text) { return YAML_1_1.test(text.trim()); });
      if (misread.length) {
        throw new Error("«" + misread[0] + "» alene leses av bygget som ja/nei eller et tall. " +
                        "Skriv det annerledes, for eksempel med flere ord.");
      }
      if (data.get("image") && !String(data.get("image_alt") || "").trim()) {
        throw new Error("Delingsbildet mangler beskrivelse: fyll ut «Beskrivelse av delingsbildet (alt-tekst)».");
      }
      return data;
    },
  });

  styles.forEach(function (href) { CMS.registerPreviewStyle(new URL(href, document.baseURI).href); });

  var dateFormat = new Intl.DateTimeFormat("nb-NO", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

  function list(value) {
    return value && value.toJS ? value.toJS() : (Array.isArray(value) ? value : []);
  }

  function byline(data) {
    var names = list(data.get("authors")).map(function (key) { return authors[key] || key; });
    var date = data.get("date");
    var shown = "";
    if (date) {
      var moment = new Date(String(date).slice(0, 10) + "T00:00:00Z");
      shown = isNaN(moment) ? String(date) : dateFormat.format(moment);
    }
    var parts = [];
    if (names.length) { parts.push(h("span", { className: "hub-byline__authors", key: "a" }, names.join(", "))); }
    var meta = [h("time", { key: "t", dateTime: String(date || "") }, shown)];
    var categories = list(data.get("categories"));
    if (categories.length) {
      meta.push(h("span", { key: "d", "aria-hidden": "true" }, " · "));
      meta.push(h("span", { key: "c", className: "hub-byline__categories" }, categories.join(", ")));
    }
    parts.push(h("span", { className: "hub-byline__meta", key: "m" }, meta));
    return h("div", { className: "hub-byline" }, parts);
  }

  var Article = createClass({
    render: function () {
      var data = this.props.entry.get("data");
      return h("div", { className: "md-container" },
        h("main", { className: "md-main" },
          h("div", { className: "md-main__inner md-grid" },
            h("div", { className: "md-content" },
              h("article", { className: "md-content__inner md-typeset" },
                h("h1", { className: "hub-title" }, data.get("title") || ""),
                byline(data),
                this.props.widgetFor("body"))))));
    },
  });
  CMS.registerPreviewTemplate("artikler", Article);
})();
