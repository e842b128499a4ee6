// Charts: each <canvas data-chart> is drawn by Chart.js, loaded from our static folder only when a
// page has one. Fonts are set in CSS pixels, so they stay readable on a phone.
(function () {
  "use strict";
  var canvases = document.querySelectorAll("canvas[data-chart]");
  if (!canvases.length) return;
  var script = document.createElement("script");
  script.src = document.currentScript.dataset.vendor;
  script.onload = function () {
    Chart.defaults.font.size = 13;
    canvases.forEach(function (canvas) {
      var data = JSON.parse(canvas.dataset.chart);
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: data.series.map(function (s) {
            return { label: s.name, data: s.values, backgroundColor: s.colour };
          }),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { title: { display: true, text: data.title }, legend: { position: "bottom" } },
          scales: { x: { ticks: { autoSkip: false, maxRotation: 45 } }, y: { beginAtZero: true } },
        },
      });
    });
  };
  document.head.appendChild(script);
})();
