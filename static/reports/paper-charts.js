// Draws a committee paper's charts from the JSON beside each one (the preview links this file;
// the standalone HTML export carries it inline, with plotly.js).
document.querySelectorAll("[data-figure]").forEach(function (element) {
  var data = document.getElementById(element.getAttribute("data-figure"));
  if (data && window.Plotly) {
    var figure = JSON.parse(data.textContent);
    window.Plotly.newPlot(element, figure.data, figure.layout, {
      responsive: true,
      displaylogo: false,
      displayModeBar: false,
    });
  }
});
