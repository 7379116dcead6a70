// The report's own script: it hands the contract's data to Chart.js, sorts and filters the
// endpoint table, and draws the selected route's latency distribution.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const COLORS = ["#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#1b7c83",
                  "#953800", "#57606a", "#4d2d00"];
  const STATUS = { passed: "#1a7f37", failed: "#cf222e", skipped: "#8c959f", not_run: "#d0d7de",
                   kept: "#9a6700", component: "#54aeff" };
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.responsive = true;
  const charts = {};

  function canvas(name, index) {
    const selector = index === undefined ? `canvas[data-chart="${name}"]`
      : `canvas[data-chart="${name}"][data-index="${index}"]`;
    return document.querySelector(selector);
  }

  function draw(name, element, config) {
    if (!element) return;
    if (charts[name]) charts[name].destroy();
    charts[name] = new Chart(element, config);
  }

  function ms(value) {
    return value < 1 ? value.toFixed(3) : value < 10 ? value.toFixed(2) : value.toFixed(1);
  }

  function axis(title, extra) {
    return Object.assign({ title: { display: true, text: title } }, extra || {});
  }

  function timeline() {
    const t = data.timeline;
    draw("timeline", canvas("timeline"), {
      type: "bar",
      data: { labels: t.labels, datasets: [{
        label: "seconds", data: t.bars, borderSkipped: false, minBarLength: 2,
        backgroundColor: t.statuses.map((s) => STATUS[s] || "#8c959f") }] },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false }, tooltip: { callbacks: {
          label: (c) => `${c.raw[0].toFixed(2)} s → ${c.raw[1].toFixed(2)} s `
            + `(${(c.raw[1] - c.raw[0]).toFixed(2)} s)` } } },
        scales: { x: axis("seconds from the start of the run", { type: "linear", min: 0 }) },
      },
    });
  }

  function memory() {
    if (!data.memory.length) return;
    draw("memory", canvas("memory"), {
      type: "line",
      data: { datasets: data.memory.map((s, i) => ({
        label: s.name, data: s.points.map((p) => ({ x: p[0], y: p[1] })),
        borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length],
        pointRadius: 0, borderWidth: 1.5, stepped: false })) },
      options: { parsing: true, scales: {
        x: axis("seconds from the start of the run", { type: "linear" }),
        y: axis("MiB", { beginAtZero: true }) } },
    });
  }

  function load() {
    data.load.forEach((scenario, i) => {
      const rows = scenario.intervals;
      draw(`load-${i}`, canvas("load", i), {
        data: {
          labels: rows.map((r) => String(Number(r.t_s.toFixed(3)))),
          datasets: [
            { type: "bar", label: "throughput (req/s)", data: rows.map((r) => r.throughput_rps),
              backgroundColor: "#54aeff", yAxisID: "rps" },
            { type: "line", label: "p50 ms", data: rows.map((r) => r.p50_ms), yAxisID: "ms",
              borderColor: "#1a7f37", backgroundColor: "#1a7f37", pointRadius: 1 },
            { type: "line", label: "p95 ms", data: rows.map((r) => r.p95_ms), yAxisID: "ms",
              borderColor: "#cf222e", backgroundColor: "#cf222e", pointRadius: 1 },
            { type: "line", label: "max ms", data: rows.map((r) => r.max_ms), yAxisID: "ms",
              borderColor: "#8c959f", backgroundColor: "#8c959f", pointRadius: 0,
              borderDash: [4, 3] },
          ],
        },
        options: { scales: {
          x: axis(`seconds from the scenario's start (slices of ${scenario.interval_s} s)`),
          rps: axis("req/s", { position: "left", beginAtZero: true }),
          ms: axis("ms", { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } }),
        } },
      });
    });
  }

  function gate() {
    if (!data.gate) return;
    const threshold = data.gate.threshold === null ? 0 : data.gate.threshold;
    draw("gate", canvas("gate"), {
      type: "bar",
      data: { labels: data.gate.labels, datasets: [{ label: "score", data: data.gate.scores,
        backgroundColor: data.gate.scores.map((s) => (s >= threshold ? "#1a7f37" : "#cf222e")) }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } },
        scales: { x: axis("score", { min: 0, max: 100 }) } },
    });
  }

  // --- the endpoint table ---------------------------------------------------------------
  const table = document.getElementById("route-table");

  function selectRoute(index) {
    const route = data.routes[index];
    if (!route) return;
    table.querySelectorAll("tr.selected").forEach((tr) => tr.classList.remove("selected"));
    const row = table.querySelector(`tbody tr[data-index="${index}"]`);
    if (row) row.classList.add("selected");
    document.getElementById("route-title").textContent = `${route.name}: ${route.count} requests`;
    const note = route.source === "histogram" ? "from its HDR histogram"
      : "from the percentiles the contract kept (no histogram in this contract)";
    document.getElementById("route-note").textContent = note + (route.note ? ` (${route.note})` : "");
    const bucketsBox = canvas("route-buckets") && canvas("route-buckets").parentElement;
    if (bucketsBox) {
      bucketsBox.style.display = route.buckets.length ? "" : "none";
      if (route.buckets.length) {
        draw("route-buckets", canvas("route-buckets"), {
          type: "bar",
          data: { labels: route.buckets.map((b) => `${ms(b[0])}–${ms(b[1])}`),
            datasets: [{ label: "requests", data: route.buckets.map((b) => b[2]),
              backgroundColor: "#0969da", barPercentage: 1.0, categoryPercentage: 1.0 }] },
          options: { plugins: { legend: { display: false } },
            scales: { x: axis("latency ms (log-spaced buckets)"),
                      y: axis("requests", { beginAtZero: true }) } },
        });
      } else if (charts["route-buckets"]) {
        charts["route-buckets"].destroy();
        delete charts["route-buckets"];
      }
    }
    draw("route-curve", canvas("route-curve"), {
      type: "line",
      data: { labels: route.curve.map((p) => (p[0] === 100 ? "max" : `p${p[0]}`)),
        datasets: [{ label: "ms", data: route.curve.map((p) => p[1]), borderColor: "#cf222e",
          backgroundColor: "#cf222e", pointRadius: 3 }] },
      options: { plugins: { legend: { display: false } },
        scales: { x: axis("percentile"), y: axis("latency ms", { beginAtZero: true }) } },
    });
  }

  function cellValue(row, column, numeric) {
    const cell = row.cells[column];
    if (!numeric) return cell.textContent.toLowerCase();
    const raw = cell.dataset.v !== undefined ? cell.dataset.v : cell.textContent;
    const value = parseFloat(raw);
    return Number.isNaN(value) ? -Infinity : value;
  }

  function sortBy(header) {
    const column = header.cellIndex;
    const numeric = header.dataset.type === "num";
    const descending = !header.classList.contains("desc") && (numeric || header.classList.contains("asc"));
    table.querySelectorAll("th").forEach((th) => th.classList.remove("asc", "desc"));
    header.classList.add(descending ? "desc" : "asc");
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const x = cellValue(a, column, numeric);
      const y = cellValue(b, column, numeric);
      const order = x < y ? -1 : x > y ? 1 : 0;
      return descending ? -order : order;
    });
    rows.forEach((row) => body.appendChild(row));
  }

  function applyFilter() {
    const terms = document.getElementById("route-filter").value.toLowerCase().split(/\s+/)
      .filter(Boolean);
    const errorsOnly = document.getElementById("route-errors").checked;
    let shown = 0;
    Array.from(table.tBodies[0].rows).forEach((row) => {
      const text = `${row.cells[0].textContent} ${row.cells[1].textContent} ${row.cells[2].textContent}`
        .toLowerCase();
      const visible = terms.every((t) => text.includes(t))
        && (!errorsOnly || row.classList.contains("has-errors"));
      row.hidden = !visible;
      shown += visible ? 1 : 0;
    });
    document.getElementById("route-shown").textContent = `${shown} shown`;
  }

  function endpointTable() {
    if (!table) return;
    table.querySelectorAll("th").forEach((th) => th.addEventListener("click", () => sortBy(th)));
    table.tBodies[0].addEventListener("click", (event) => {
      const row = event.target.closest("tr");
      if (row) selectRoute(Number(row.dataset.index));
    });
    document.getElementById("route-filter").addEventListener("input", applyFilter);
    document.getElementById("route-errors").addEventListener("change", applyFilter);
    let slowest = 0;
    data.routes.forEach((route, i) => {
      const p95 = cellValue(table.querySelector(`tbody tr[data-index="${i}"]`), 7, true);
      const best = cellValue(table.querySelector(`tbody tr[data-index="${slowest}"]`), 7, true);
      if (p95 > best) slowest = i;
    });
    selectRoute(slowest);
  }

  timeline();
  memory();
  load();
  gate();
  endpointTable();
  document.body.dataset.ready = "1";
})();
