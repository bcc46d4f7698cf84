// The post page's "copy link" button; shown only when this script runs (the links work without it).
(function () {
  "use strict";
  var button = document.querySelector(".share-copy");
  if (!button) { return; }
  var status = document.querySelector(".share-status");
  var say = function (text) { if (status) { status.textContent = text; } };
  // Without the Clipboard API (plain http, old browsers): a selected off-screen field and execCommand.
  var fallback = function (url) {
    var field = document.createElement("textarea");
    field.value = url;
    field.setAttribute("readonly", "");
    field.className = "visually-hidden";
    document.body.appendChild(field);
    field.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(field);
    return ok;
  };
  button.parentNode.hidden = false;
  button.addEventListener("click", function () {
    var url = button.getAttribute("data-copy-url");
    var done = function () { say(button.getAttribute("data-copied")); };
    var failed = function () { say(fallback(url) ? button.getAttribute("data-copied") : button.getAttribute("data-failed")); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(done, failed);
    } else {
      failed();
    }
  });
})();
