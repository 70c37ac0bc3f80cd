// Time accounting: running timers tick on the page; the activity chart is drawn from its
// json_script data (the CSP allows no inline script).
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    document.querySelectorAll("[data-hl-timer-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-hl-timer-since"));
      if (isNaN(since)) { return; }
      var s = Math.max(0, Math.floor((Date.now() - since) / 1000));
      el.textContent = Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    var data = document.getElementById("activity-chart-data");
    var canvas = document.getElementById("activity-chart");
    if (!data || !canvas || typeof Chart === "undefined") { return; }
    var chart = JSON.parse(data.textContent);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (s) { return { label: s.label, data: s.data }; })
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false }
    });
  });
})();
