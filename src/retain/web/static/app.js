// Draws each [data-chart] element from the JSON in the <script> element it names.
// Values stay exactly as the API gives them; only their display is formatted per locale.
(function () {
  "use strict";
  const lang = document.documentElement.lang || "en";
  const percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
  const number = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  const share = (v) => (v === null || v === undefined ? "–" : percent.format(v));
  const plain = (v) => (v === null || v === undefined ? "–" : number.format(v));
  const palette = ["#0f766e", "#2563eb", "#b45309", "#7c3aed", "#be123c"];

  const builders = {
    trend(spec) {
      const d = spec.data;
      return {
        color: palette,
        tooltip: { trigger: "axis", valueFormatter: share },
        legend: { top: 0 },
        grid: { left: 56, right: 16, top: 36, bottom: 32 },
        xAxis: { type: "category", data: d.periods },
        yAxis: { type: "value", scale: true, axisLabel: { formatter: share } },
        series: spec.series.map((s, i) => ({
          name: s.label, type: "line", data: d.series[s.key], showSymbol: d.periods.length < 40,
          markLine: i === 0 && d.target ? { symbol: "none", label: { formatter: spec.targetLabel },
            lineStyle: { type: "dashed" }, data: [{ yAxis: d.target }] } : undefined,
        })),
      };
    },
    spark(spec) {
      return {
        color: [palette[0]],
        grid: { left: 2, right: 2, top: 4, bottom: 4 },
        xAxis: { type: "category", show: false, data: spec.data.periods },
        yAxis: { type: "value", show: false, scale: true },
        tooltip: { trigger: "axis", valueFormatter: spec.format === "share" ? share : plain },
        series: [{ type: "line", data: spec.data.values, showSymbol: false, smooth: true }],
      };
    },
    revenue(spec) {
      const d = spec.data;
      return {
        color: palette,
        tooltip: { trigger: "axis", valueFormatter: plain },
        legend: { top: 0 },
        grid: { left: 72, right: 16, top: 36, bottom: 32 },
        xAxis: { type: "category", data: d.periods },
        yAxis: { type: "value", axisLabel: { formatter: plain } },
        series: [
          { name: spec.labels.revenue, type: "bar", data: d.revenue },
          { name: spec.labels.mrr_end, type: "line", data: d.mrr_end },
        ],
      };
    },
    heatmap(spec) {
      const d = spec.data;
      return {
        tooltip: { valueFormatter: share },
        grid: { left: 96, right: 16, top: 16, bottom: 72 },
        xAxis: { type: "category", data: d.periods, name: spec.labels.x, nameLocation: "middle", nameGap: 28 },
        yAxis: { type: "category", data: d.cohorts, inverse: true },
        visualMap: { min: 0, max: 1, calculable: true, orient: "horizontal", left: "center", bottom: 0,
          inRange: { color: ["#f0fdfa", "#0f766e"] }, formatter: share },
        series: [{ type: "heatmap", data: d.cells, label: { show: d.periods.length <= 13, formatter: (p) => share(p.value[2]) } }],
      };
    },
    bars(spec) {
      const d = spec.data;
      return {
        color: palette,
        tooltip: { trigger: "axis", valueFormatter: plain },
        grid: { left: 56, right: 16, top: 16, bottom: 56 },
        xAxis: { type: "category", data: d.x, axisLabel: { rotate: 30 } },
        yAxis: { type: "value" },
        series: [{ name: spec.labels.y, type: "bar", data: d.y }],
      };
    },
    // A value with its interval drawn as a shaded band around the line, on a fixed scale.
    band(spec) {
      const d = spec.data;
      const l = spec.labels;
      const width = d.low.map((low, i) => (low === null || d.high[i] === null ? null : d.high[i] - low));
      const edge = { type: "line", stack: "interval", stackStrategy: "all", symbol: "none",
        lineStyle: { opacity: 0 }, silent: true };
      return {
        color: palette,
        tooltip: {
          trigger: "axis",
          formatter: (items) => {
            const i = items[0].dataIndex;
            return `${items[0].axisValueLabel}<br>${l.value}: ${plain(d.value[i])}` +
              `<br>${l.low}: ${plain(d.low[i])}<br>${l.high}: ${plain(d.high[i])}`;
          },
        },
        legend: { top: 0, data: [l.value, l.band] },
        grid: { left: 56, right: 16, top: 36, bottom: 32 },
        xAxis: { type: "category", data: d.x, boundaryGap: false },
        yAxis: { type: "value", min: spec.bounds[0], max: spec.bounds[1] },
        series: [
          { ...edge, name: "", data: d.low },
          { ...edge, name: l.band, data: width, itemStyle: { color: palette[0], opacity: 0.25 },
            areaStyle: { color: palette[0], opacity: 0.18 } },
          { name: l.value, type: "line", data: d.value, showSymbol: d.x.length < 30, z: 3,
            itemStyle: { color: palette[0] }, lineStyle: { color: palette[0] } },
        ],
      };
    },
    lines(spec) {
      const d = spec.data;
      return {
        color: palette,
        tooltip: { trigger: "axis", valueFormatter: plain },
        legend: { top: 0 },
        grid: { left: 56, right: 16, top: 36, bottom: 32 },
        xAxis: { type: "category", data: d.x },
        yAxis: { type: "value" },
        series: spec.series.map((s) => ({
          name: s.label, type: "line", data: d[s.key], showSymbol: d.x.length < 30,
          markLine: d.split ? { symbol: "none", lineStyle: { type: "dashed" }, label: { show: false },
            data: [{ xAxis: d.split }] } : undefined,
        })),
      };
    },
  };

  function draw(element) {
    const source = document.getElementById(element.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const chart = echarts.init(element, null, { renderer: "canvas", locale: lang.startsWith("zh") ? "ZH" : "EN" });
    chart.setOption(builders[spec.kind](spec));
    window.addEventListener("resize", () => chart.resize());
  }

  function drawAll(root) {
    root.querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  document.addEventListener("htmx:afterSwap", (event) => drawAll(event.target));
})();
