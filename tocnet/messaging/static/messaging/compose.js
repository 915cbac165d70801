// Compose page: count the SMS text as the network does (Thai = UCS-2: 70 in one SMS, 67 per
// part above; Latin GSM-7: 160 / 153) while the author types.
(function () {
  "use strict";
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXT = "^{}\\[~]|€\f";
  function count(text) {
    var gsm = true, length = 0, i, c;
    for (i = 0; i < text.length; i++) {
      c = text.charAt(i);
      if (GSM.indexOf(c) >= 0) { length += 1; }
      else if (EXT.indexOf(c) >= 0) { length += 2; }
      else { gsm = false; break; }
    }
    if (!gsm) { length = text.length; }
    var single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    var segments = length === 0 ? 0 : (length <= single ? 1 : Math.ceil(length / part));
    return { length: length, single: single, segments: segments };
  }
  function start() {
    var input = document.querySelector("[data-sms-count]");
    var out = document.getElementById("sms-count");
    if (!input || !out) { return; }
    function update() {
      var r = count(input.value);
      out.textContent = r.length + " / " + r.single + " · " + r.segments + " SMS";
      out.classList.toggle("over", r.segments > 1);
      out.setAttribute("data-segments", String(r.segments));
    }
    input.addEventListener("input", update);
    update();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
