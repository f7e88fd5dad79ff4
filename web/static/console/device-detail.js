// A device's page: one small uPlot chart per series of recent values, with times shown in
// the viewer's time zone (the footer names it).
(function () {
  "use strict";
  var data = document.getElementById("device-series");
  if (!data || !window.uPlot) return;
  var charts = JSON.parse(data.textContent);
  var zone = document.querySelector(".app-footer .float-end");
  var timeZone = zone ? zone.textContent.trim() : "UTC";
  document.querySelectorAll(".device-chart").forEach(function (element) {
    var chart = charts[Number(element.dataset.index)];
    if (!chart) return;
    var width = Math.max(220, element.clientWidth);
    new uPlot({
      width: width,
      height: 150,
      legend: { show: false },
      tzDate: function (seconds) { return uPlot.tzDate(new Date(seconds * 1000), timeZone); },
      scales: { x: { time: true } },
      axes: [{ size: 30 }, { size: 50 }],
      series: [{}, { label: chart.name, stroke: "#0d6efd", width: 2, fill: "rgba(13,110,253,.08)" }],
    }, [chart.times, chart.values], element);
  });
})();
