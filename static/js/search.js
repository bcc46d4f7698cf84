// The search form's unit field suggests units as one types (the page works without it: the
// field takes a unit's name or path as typed).
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest]");
  var list = input && document.getElementById(input.getAttribute("list"));
  if (!input || !list || !window.fetch) { return; }
  var timer = null, last = "";
  function fill(units) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    units.forEach(function (u) {
      var option = document.createElement("option");
      option.value = u.path;
      option.label = u.parent ? u.name + " – " + u.parent : u.name;  // text, never HTML
      list.appendChild(option);
    });
  }
  input.addEventListener("input", function () {
    var q = input.value.trim();
    if (q === last || q.indexOf("/") !== -1 || q.length < 2) { return; }
    last = q;
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q), { credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (units) { if (q === last) { fill(units); } })
        .catch(function () {});
    }, 200);
  });
})();
