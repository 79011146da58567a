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
    heatmap(spec, element) {
      const d = spec.data;
      const fill = (text, values) => Object.entries(values).reduce((out, [key, value]) => out.replace(`{${key}}`, value), text);
      const rowLabel = (cohort, index) => fill(spec.labels.row, { cohort, size: number.format(d.sizes[index]) });
      // Room for the longest row label, the colour scale and its legend above, the axis title below.
      const left = 16 + 7 * Math.max(0, ...d.cohorts.map((cohort, i) => rowLabel(cohort, i).length));
      const narrow = element.clientWidth < 600;
      const top = d.small.length && narrow ? 84 : 52;
      const bottom = 56;
      const cellWidth = (element.clientWidth - left - 16) / Math.max(1, d.periods.length);
      const cellHeight = (element.clientHeight - top - bottom) / Math.max(1, d.cohorts.length);
      const whole = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });
      // ECharts writes each figure dark or light to contrast with its cell.
      const label = { show: cellWidth >= 30 && cellHeight >= 14, fontSize: 10, formatter: (p) => whole.format(p.value[2]) };
      const tooltip = { formatter: (p) => `${fill(spec.labels.cell, { cohort: d.cohorts[p.value[1]], size: number.format(d.sizes[p.value[1]]), period: p.value[0] })}<br>${p.marker}${share(p.value[2])}` };
      return {
        // Redrawn on every resize (labels come and go with the room): without animation, a
        // screenshot or a resize never catches labels halfway between two layouts.
        animation: false,
        tooltip: {},
        legend: d.small.length ? { top: 0, left: 8, data: [spec.labels.small] } : undefined,
        grid: { left, right: 16, top, bottom },
        xAxis: { type: "category", data: d.periods, name: spec.labels.x, nameLocation: "middle", nameGap: 28 },
        yAxis: { type: "category", data: d.cohorts, inverse: true, axisLabel: { interval: 0, formatter: rowLabel } },
        visualMap: { min: 0, max: d.max, orient: "horizontal", seriesIndex: 0, text: [share(d.max), share(0)],
          top: d.small.length && narrow ? 34 : 4, right: 16, itemHeight: narrow ? 100 : 140, itemWidth: 12,
          inRange: { color: ["#f0fdfa", "#0f766e"] } },
        series: [
          { type: "heatmap", data: d.cells, label, tooltip },
          { name: spec.labels.small, type: "heatmap", data: d.small, tooltip,
            itemStyle: { color: "#e4e7eb" }, label: { ...label, color: "#616e7c" } },
        ],
      };
    },
    bars(spec) {
      const d = spec.data;
      const labels = spec.labels || {};
      // A unit (such as the reporting currency) follows each category in the tooltip.
      const unit = spec.unit ? ` ${spec.unit}` : "";
      return {
        color: palette,
        tooltip: { trigger: "axis", valueFormatter: plain,
          formatter: (items) => `${items[0].axisValueLabel}${unit}<br>${items.map((p) => `${p.marker}${p.seriesName}: ${plain(p.value)}`).join("<br>")}` },
        grid: { left: 56, right: 16, top: 16, bottom: labels.x ? 80 : 56 },
        xAxis: { type: "category", data: d.x, axisLabel: { rotate: 30 }, name: labels.x, nameLocation: "middle", nameGap: 56 },
        yAxis: { type: "value" },
        series: [{ name: labels.y, type: "bar", data: d.y }],
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
        yAxis: { type: "value", name: spec.labels && spec.labels.y, nameLocation: "middle", nameGap: 44 },
        // A series may ask for its own colour and a dashed line, so that two series that run
        // close together (actual and predicted) stay apart in colour and in shape.
        series: spec.series.map((s, i) => ({
          name: s.label, type: "line", data: d[s.key], showSymbol: d.x.length < 30,
          color: s.color, lineStyle: s.dashed ? { type: "dashed", width: 2.5 } : { width: 2 },
          markLine: d.split && i === 0 ? { symbol: "none", lineStyle: { type: "dotted", color: "#616e7c" },
            label: { show: Boolean(spec.labels && spec.labels.split), formatter: spec.labels && spec.labels.split, position: "end" },
            data: [{ xAxis: d.split }] } : undefined,
        })),
      };
    },
  };

  // Charts whose height follows their data: a heatmap gives every cohort a readable row.
  const heights = {
    heatmap: (spec) => Math.max(320, spec.data.cohorts.length * 24 + 120),
  };

  function draw(element) {
    const source = document.getElementById(element.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    if (heights[spec.kind]) element.style.height = `${heights[spec.kind](spec)}px`;
    const chart = echarts.init(element, null, { renderer: "canvas", locale: lang.startsWith("zh") ? "ZH" : "EN" });
    chart.setOption(builders[spec.kind](spec, element));
    window.addEventListener("resize", () => {
      chart.resize();
      chart.setOption(builders[spec.kind](spec, element));
    });
  }

  function drawAll(root) {
    root.querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  document.addEventListener("htmx:afterSwap", (event) => drawAll(event.target));
})();
