// LIFF: start the SDK, get the ID token, post it to the server (which asks LINE to verify it).
(function () {
  "use strict";
  var boot = document.getElementById("liff-boot");
  if (!boot) { return; }
  function show(name) {
    var items = boot.querySelectorAll("[data-liff-message]");
    for (var i = 0; i < items.length; i++) {
      items[i].classList.toggle("hidden", items[i].getAttribute("data-liff-message") !== name);
    }
    boot.setAttribute("data-state", name);
  }
  function start() {
    if (typeof window.liff === "undefined") { show("failed"); return; }
    window.liff.init({ liffId: boot.getAttribute("data-liff-id") }).then(function () {
      if (!window.liff.isLoggedIn()) {
        window.liff.login({ redirectUri: window.location.href });
        return;
      }
      var token = window.liff.getIDToken();
      if (!token) { show("failed"); return; }
      var form = document.getElementById("liff-session-form");
      form.querySelector("input[name=id_token]").value = token;
      boot.setAttribute("data-state", "posting");
      form.submit();
    }).catch(function () { show("failed"); });
  }
  if (document.readyState === "complete") { start(); } else { window.addEventListener("load", start); }
})();
