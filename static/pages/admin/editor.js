// Configure the vendored Trix before any <trix-editor> is upgraded: emit the tags our
// server-side allow-list keeps, and refuse pasted or dropped files (images go through the
// media library, which verifies them and strips their metadata).
(function () {
  "use strict";
  if (window.Trix && Trix.config) {
    Trix.config.blockAttributes.default.tagName = "p";
    Trix.config.blockAttributes.heading1.tagName = "h2";
    Trix.config.textAttributes.strike.tagName = "s";
  }
  document.addEventListener("trix-file-accept", function (event) { event.preventDefault(); });
})();
