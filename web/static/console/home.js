// Home: a bar chart of active alerts per level (uPlot), redrawn when the counts refresh.
(function () {
  "use strict";
  var chart = null;
  var colours = ["#dc3545", "#fd7e14", "#0d6efd"];

  function counts() {
    var cards = document.getElementById("count-cards");
    if (!cards) return [0, 0, 0];
    return ["critical", "warning", "info"].map(function (level) { return Number(cards.dataset[level] || 0); });
  }

  function draw() {
    var target = document.getElementById("severity-chart");
    if (!target || !window.uPlot) return;
    var values = counts();
    var labels = Array.prototype.map.call(document.querySelectorAll("#count-cards .count-card[data-level] p"), function (p) { return p.textContent; });
    var width = Math.max(target.clientWidth, 200);
    var options = {
      width: width, height: 220, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: false, range: [-0.5, 2.5] }, y: { range: [0, Math.max(1, Math.max.apply(null, values)) * 1.2] } },
      axes: [{ values: function () { return labels; }, splits: function () { return [0, 1, 2]; } },
        { size: 50, values: function (u, splits) { return splits.map(function (v) { return Number.isInteger(v) ? v : ""; }); } }],
      series: [{}, {
        label: "alerts", stroke: "#6c757d", width: 0,
        paths: function (u) {
          var path = new Path2D();
          var barWidth = u.bbox.width / 6;
          u.data[1].forEach(function (value, index) {
            var x = u.valToPos(index, "x", true) - barWidth / 2;
            var y = u.valToPos(value, "y", true);
            var zero = u.valToPos(0, "y", true);
            u.ctx.fillStyle = colours[index];
            u.ctx.fillRect(x, y, barWidth, zero - y);
          });
          return { stroke: path };
        },
        points: { show: false },
      }],
    };
    if (chart) chart.destroy();
    chart = new uPlot(options, [[0, 1, 2], values], target);
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "alert-counts") draw();
  });
  window.addEventListener("resize", draw);
})();
