// Draws each chart the page describes in a JSON island (id = the chart's id) with the vendored
// uPlot: one line per series, one point per day. No data, no chart: the table says the same.
(function () {
  "use strict";
  const COLOURS = ["#2563eb", "#16a34a", "#d97706", "#dc2626"];

  function draw(figure) {
    const island = document.getElementById(figure.id.replace(/^chart-/, ""));
    if (!island || typeof uPlot === "undefined") return;
    const chart = JSON.parse(island.textContent);
    const area = figure.querySelector(".chart-area");
    const xs = chart.days.map((day) => Date.parse(day + "T12:00:00Z") / 1000);
    const options = {
      width: Math.max(area.clientWidth, 300),
      height: 220,
      series: [{}].concat(
        chart.series.map((series, n) => ({ label: series.label, stroke: COLOURS[n % COLOURS.length], width: 2 }))
      ),
      axes: [{}, { size: 50 }],
      scales: { x: { time: true } },
    };
    const plot = new uPlot(options, [xs].concat(chart.series.map((series) => series.values)), area);
    new ResizeObserver(() => plot.setSize({ width: Math.max(area.clientWidth, 300), height: 220 })).observe(area);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".report-chart").forEach(draw);
  });
})();
