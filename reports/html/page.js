// mimo report page: sort any table by a column, filter by task, query
// language and model. No dependencies.
(function () {
  "use strict";
  function num(td) {
    var v = td.getAttribute("data-v");
    return v === null ? null : parseFloat(v);
  }
  function sortTable(th) {
    var table = th.closest("table");
    var col = +th.getAttribute("data-col");
    var desc = !th.classList.contains("desc");
    if (th.classList.contains("asc") || th.classList.contains("desc")) {
      desc = th.classList.contains("asc");
    } else {
      // numbers start high-to-low, text A-Z
      var any = table.querySelector("tbody td:nth-child(" + (col + 1) + ")[data-v]");
      desc = !!any;
    }
    table.querySelectorAll("th").forEach(function (h) { h.classList.remove("asc", "desc"); });
    th.classList.add(desc ? "desc" : "asc");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (r, i) { r._i = i; });
    rows.sort(function (a, b) {
      var x = a.cells[col], y = b.cells[col];
      var nx = x ? num(x) : null, ny = y ? num(y) : null;
      var c;
      if (nx !== null || ny !== null) {
        if (nx === null) return 1; // missing values last
        if (ny === null) return -1;
        c = nx - ny;
      } else {
        c = (x ? x.textContent : "").localeCompare(y ? y.textContent : "");
      }
      if (desc) c = -c;
      return c || a._i - b._i;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll("table.report th").forEach(function (th) {
    th.addEventListener("click", function () { sortTable(th); });
  });

  var fTask = document.getElementById("f-task");
  var fLang = document.getElementById("f-lang");
  var fModel = document.getElementById("f-model");
  function toggle(sel, cls, value, attr) {
    document.querySelectorAll(sel).forEach(function (el) {
      var v = el.getAttribute(attr);
      el.classList.toggle(cls, value !== "" && v !== null && v !== value);
    });
  }
  function apply() {
    var task = fTask.value, lang = fLang.value, model = fModel.value;
    toggle("main [data-task]", "hide-task", task, "data-task");
    toggle("main [data-lang]", "hide-lang", lang, "data-lang");
    toggle("main tr[data-model]", "hide-model", model, "data-model");
    var shown = 0;
    document.querySelectorAll("main tr[data-model]").forEach(function (tr) {
      if (tr.offsetParent !== null) shown++;
    });
    document.getElementById("f-count").textContent = shown + " rows shown";
  }
  [fTask, fLang, fModel].forEach(function (s) { s.addEventListener("change", apply); });
  apply();
})();
