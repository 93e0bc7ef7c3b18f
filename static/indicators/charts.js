/* Draws every chart whose figure JSON the page embeds (json_script), with the plotly.js the
   app serves itself. The table beside each chart holds the same figures. */
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-figure]").forEach(function (element) {
      var data = document.getElementById(element.getAttribute("data-figure"));
      if (!data) { return; }
      var figure = JSON.parse(data.textContent);
      /* No mode bar: its ten buttons would sit in every keyboard user's path, and the
         page already offers the figures as a table, CSV and XLSX. Hover still reads values. */
      window.Plotly.newPlot(element, figure.data, figure.layout, {
        responsive: true, displaylogo: false, displayModeBar: false
      });
    });
  }
  /* The comparator chooser sends one comma-separated `comparators`; without JavaScript the
     boxes are sent as repeated parameters, which the server reads too. */
  function joinComparators() {
    document.querySelectorAll("form[data-join-comparators]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var boxes = form.querySelectorAll("input[type=checkbox][name=comparators]");
        var chosen = [];
        boxes.forEach(function (box) { if (box.checked) { chosen.push(box.value); } box.disabled = true; });
        form.querySelector("input[type=hidden][name=comparators]").value = chosen.join(",");
      });
    });
  }
  /* Show the choice in the address bar, so a copied link shows the same view. */
  function canonical() {
    var link = document.querySelector("[data-canonical-query]");
    if (link && window.history && window.history.replaceState) {
      var query = link.getAttribute("data-canonical-query");
      if (window.location.search.slice(1) !== query) {
        window.history.replaceState(null, "", window.location.pathname + "?" + query);
      }
    }
  }
  document.addEventListener("DOMContentLoaded", function () { draw(); joinComparators(); canonical(); });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-join-comparators] input[type=checkbox]").forEach(function (box) { box.disabled = false; });
  });
})();
