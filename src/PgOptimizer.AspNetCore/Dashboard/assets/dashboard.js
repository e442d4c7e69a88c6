// PgOptimizer dashboard: charts from {prefix}/api/history, refreshed without reloading the page.
// Served as a file (the Content-Security-Policy allows scripts from the dashboard itself only).
(function () {
  "use strict";
  var root = document.body.getAttribute("data-api");
  var charts = [];
  window.pgoptCharts = charts;

  function seriesFor(kind, history) {
    switch (kind) {
      case "latency": return { labels: ["mean ms", "p95 ms", "p99 ms"], data: [history.avgMs, history.p95Ms, history.p99Ms] };
      case "throughput": return { labels: ["queries/s", "errors %"], data: [history.queriesPerSecond, history.errorPercent] };
      case "cache": {
        var names = Object.keys(history.cacheHitPercent || {});
        return { labels: names.length ? names.map(function (n) { return n + " hit %"; }) : ["hit %"], data: names.length ? names.map(function (n) { return history.cacheHitPercent[n]; }) : [history.hitPercent] };
      }
      case "lag": {
        var replicas = Object.keys(history.lagSeconds || {});
        return { labels: replicas.map(function (r) { return r + " lag s"; }), data: replicas.map(function (r) { return history.lagSeconds[r]; }) };
      }
      case "pool": return { labels: ["busy connections"], data: [history.busyConnections] };
      default: return { labels: [], data: [] };
    }
  }

  var palette = ["#0969da", "#cf222e", "#8250df", "#1a7f37", "#9a6700", "#bf3989"];

  function make(el, history) {
    var kind = el.getAttribute("data-chart");
    var s = seriesFor(kind, history);
    var opts = {
      width: Math.max(el.clientWidth - 16, 300), height: 200,
      series: [{}].concat(s.labels.map(function (l, i) { return { label: l, stroke: palette[i % palette.length], width: 1.5 }; })),
      axes: [{}, {}], scales: { x: { time: true } }
    };
    var plot = new uPlot(opts, [history.at].concat(s.data), el);
    charts.push({ kind: kind, el: el, plot: plot, labels: s.labels.join("|"), points: history.at.length });
  }

  function refresh() {
    fetch(root + "/history", { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (history) {
        if (!history) { return; }
        document.querySelectorAll("[data-chart]").forEach(function (el) {
          var c = charts.find(function (x) { return x.el === el; });
          var s = seriesFor(el.getAttribute("data-chart"), history);
          if (!c || c.labels !== s.labels.join("|")) {
            if (c) { c.plot.destroy(); charts.splice(charts.indexOf(c), 1); }
            el.textContent = "";
            make(el, history);
          } else {
            c.plot.setData([history.at].concat(s.data));
            c.points = history.at.length;
          }
        });
      })
      .catch(function () { /* the next refresh tries again */ });
  }

  // One clock for the page: the live fragment (htmx, on its "pgopt-refresh" trigger) and the charts
  // refresh together, and not at all while the page is hidden (a background tab costs the server
  // and the browser nothing); it refreshes at once when the page is shown again.
  var hasCharts = !!document.querySelector("[data-chart]");
  window.pgoptRefreshes = 0;
  function tick() {
    if (document.hidden) { return; }
    window.pgoptRefreshes++;
    var live = document.getElementById("live");
    if (live && live.hasAttribute("hx-get") && window.htmx) { window.htmx.trigger(live, "pgopt-refresh"); }
    if (hasCharts) { refresh(); }
  }

  if (hasCharts) { refresh(); }
  setInterval(tick, parseInt(document.body.getAttribute("data-refresh-ms") || "5000", 10));
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { tick(); } });
})();
