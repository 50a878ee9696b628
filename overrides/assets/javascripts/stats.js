/*
 * Cookie-free page-view count for the staff's statistics (inbox/stats.py, hooks/stats.py).
 *
 * - One beacon per page view, sent only once the page is visible (a tab
 *   opened in the background, or a prerendered page, counts when it is
 *   looked at; one never looked at does not count).
 * - It carries the page's path, the host name of the site the reader came
 *   from (never its path), and utm_source / utm_campaign from the address.
 *   The site's Referrer-Policy hides the path from the inbox, so it is in the
 *   body.
 * - Nothing is read from or written to cookies, localStorage or
 *   sessionStorage, and nothing identifies the reader. A browser that asks
 *   for Global Privacy Control sends nothing (the inbox also ignores
 *   requests with Sec-GPC: 1).
 * - With Material's instant navigation (document$), every page shown is
 *   counted once; without it, the page load is.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var endpoint = script && script.getAttribute("data-hit");
  if (!endpoint || typeof navigator.sendBeacon !== "function" || navigator.globalPrivacyControl === true) return;

  var waiting = null;    // the view waiting for the page to become visible
  var firstView = true;  // only the first page of a visit has the outside referrer

  function referrerHost() {
    if (!firstView || !document.referrer) return "";
    try {
      var host = new URL(document.referrer).hostname;
      return host === location.hostname ? "" : host;
    } catch (error) {
      return "";
    }
  }

  function view() {
    var query = new URLSearchParams(location.search);
    var body = new URLSearchParams();
    body.set("p", location.pathname);
    var fields = { r: referrerHost(), s: query.get("utm_source") || "", c: query.get("utm_campaign") || "" };
    Object.keys(fields).forEach(function (name) {
      if (fields[name]) body.set(name, fields[name].slice(0, 200));
    });
    firstView = false;
    return body;
  }

  function visible() {
    return document.visibilityState === "visible" && !document.prerendering;
  }

  function sendWaiting() {
    if (waiting && visible()) {
      navigator.sendBeacon(endpoint, waiting);
      waiting = null;
    }
  }

  function count() {
    waiting = view();  // a newer page replaces one never shown
    sendWaiting();
  }

  document.addEventListener("visibilitychange", sendWaiting);
  document.addEventListener("prerenderingchange", sendWaiting);

  var pages = window.document$;
  if (pages && typeof pages.subscribe === "function") {
    pages.subscribe(count);  // Material emits the first page too, and each page instant navigation shows
  } else {
    count();
  }
})();
