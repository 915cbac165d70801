// The representative's relay page (a LIFF app): share the announcement card into their group
// as themselves, then tell the server (with the LIFF ID token, which the server has LINE verify).
(function () {
  "use strict";
  var root = document.getElementById("relay");
  if (!root) { return; }
  var card = JSON.parse(document.getElementById("relay-card").textContent);
  var shareButton = document.getElementById("relay-share");
  var sendButton = document.getElementById("relay-send");
  function show(name) {
    var items = root.querySelectorAll("[data-relay-message]");
    for (var i = 0; i < items.length; i++) {
      items[i].classList.toggle("hidden", items[i].getAttribute("data-relay-message") !== name);
    }
    root.setAttribute("data-state", name);
  }
  function report(method) {
    var body = new URLSearchParams();
    body.set("method", method);
    body.set("id_token", window.liff.getIDToken() || "");
    return fetch(root.getAttribute("data-report-url"), {
      method: "POST", body: body, credentials: "same-origin"
    }).then(function (r) { return r.json(); }).then(function (d) {
      if (d.ok) {  // sent: nothing more to press
        shareButton.classList.add("hidden");
        sendButton.classList.add("hidden");
      }
      show(d.ok ? "done" : "failed");
    });
  }
  function share() {
    shareButton.disabled = true;
    window.liff.shareTargetPicker([card]).then(function (result) {
      if (result && result.status === "success") { return report("share"); }
      shareButton.disabled = false;
      show("cancelled");
    }).catch(function () { shareButton.disabled = false; show("failed"); });
  }
  function sendHere() {
    sendButton.disabled = true;
    window.liff.sendMessages([card]).then(function () { return report("send"); })
      .catch(function () { sendButton.disabled = false; show("failed"); });
  }
  function start() {
    if (typeof window.liff === "undefined") { show("failed"); return; }
    window.liff.init({ liffId: root.getAttribute("data-liff-id") }).then(function () {
      if (!window.liff.isLoggedIn()) { window.liff.login({ redirectUri: window.location.href }); return; }
      var context = window.liff.getContext();
      if (context && context.type === "group") { sendButton.classList.remove("hidden"); }
      if (window.liff.isApiAvailable("shareTargetPicker")) { shareButton.disabled = false; }
      root.setAttribute("data-state", "ready");
    }).catch(function () { show("failed"); });
  }
  shareButton.addEventListener("click", share);
  sendButton.addEventListener("click", sendHere);
  if (document.readyState === "complete") { start(); } else { window.addEventListener("load", start); }
})();
