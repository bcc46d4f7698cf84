// Configure the vendored Trix before any <trix-editor> is upgraded (Trix defines its elements
// on a zero timeout after loading; this file loads right after it): emit the tags our
// server-side allow-list keeps, refuse pasted or dropped files (images go through the media
// library, which verifies them and strips their metadata), and speak Vietnamese in the toolbar,
// its tooltips and the link dialog. A static file, not an inline script: the admin runs under a
// Content-Security-Policy.
(function () {
  "use strict";
  if (window.Trix && Trix.config) {
    Trix.config.blockAttributes.default.tagName = "p";
    Trix.config.blockAttributes.heading1.tagName = "h2";
    Trix.config.textAttributes.strike.tagName = "s";
    // The toolbar is built from this object when each editor connects: change it in place.
    Object.assign(Trix.config.lang, {
      attachFiles: "Đính kèm tệp",
      bold: "In đậm",
      bullets: "Danh sách gạch đầu dòng",
      byte: "byte",
      bytes: "byte",
      captionPlaceholder: "Thêm chú thích…",
      code: "Mã",
      heading1: "Tiêu đề",
      indent: "Thụt lề thêm một mức",
      italic: "In nghiêng",
      link: "Liên kết",
      numbers: "Danh sách đánh số",
      outdent: "Bớt thụt lề một mức",
      quote: "Trích dẫn",
      redo: "Làm lại",
      remove: "Gỡ bỏ",
      strike: "Gạch ngang",
      undo: "Hoàn tác",
      unlink: "Bỏ liên kết",
      url: "Địa chỉ liên kết",
      urlPlaceholder: "Nhập địa chỉ liên kết, ví dụ https://mattran.org.vn/…"
    });
  }
  document.addEventListener("trix-file-accept", function (event) { event.preventDefault(); });
})();
