// The LIFF app's endpoint page: LINE lands here with ?liff.state=<page>; liff.init() opens that
// page itself (LINE's "secondary redirect"). Nothing may change the URL before init is done; if
// init fails, the page offers a plain link to the page instead.
(function () {
  "use strict";
  var root = document.getElementById("liff-entry");
  if (!root) { return; }
  function show(name) {
    var items = root.querySelectorAll("[data-liff-message]");
    for (var i = 0; i < items.length; i++) {
      items[i].classList.toggle("hidden", items[i].getAttribute("data-liff-message") !== name);
    }
    root.setAttribute("data-state", name);
  }
  function start() {
    if (typeof window.liff === "undefined") { show("failed"); return; }
    window.liff.init({ liffId: root.getAttribute("data-liff-id") }).then(function () {
      root.setAttribute("data-state", "initialised");
      // LINE opens the page now; if it has not after a few seconds, offer the link.
      window.setTimeout(function () { show("failed"); }, 4000);
    }).catch(function () { show("failed"); });
  }
  if (document.readyState === "complete") { start(); } else { window.addEventListener("load", start); }
})();
