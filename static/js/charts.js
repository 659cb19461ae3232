// Draws every <div class="chart" data-chart='…'> with Apache ECharts (static/vendor/echarts, docs/charts.md).
//
// The figures come in the data attribute (marketplace/charts.py builds them, Jinja's tojson escapes
// them), never in an inline script: the CSP allows scripts from our own origin only. ECharts sets its
// styles through the DOM (element.style), which the CSP's style-src 'self' allows; tooltips are drawn
// inside the SVG (renderMode "richText"), as the HTML tooltip would need inline style attributes.
// Once a chart is drawn, the table of the same figures under it is folded away (it stays one click
// away, and open for readers without JavaScript).
(function () {
  "use strict";

  if (typeof window.echarts === "undefined") {
    return; // the library failed to load: the tables stay open
  }

  const FONT_SIZE = 13; // px; never below 12 (the dashboard's old SVG labels were about 7)
  const NARROW = 520; // px of chart width below which category labels wrap sooner
  const root = getComputedStyle(document.documentElement);
  const css = (name, fallback) => root.getPropertyValue(name).trim() || fallback;
  const INK = css("--ink", "#1f2933");
  const MUTED = css("--muted", "#52606d");
  const LINE = css("--line", "#d9e2ec");
  const FONT = getComputedStyle(document.body).fontFamily || "sans-serif";
  const LOCALE = document.documentElement.lang.startsWith("zh") ? "ZH" : "EN";

  const text = (extra) => Object.assign({ fontSize: FONT_SIZE, color: INK, fontFamily: FONT }, extra || {});

  // Screen readers get the figures in words as well as the table the chart points to.
  function describe(spec) {
    const rows = spec.long_labels.map((label, i) =>
      label + ": " + spec.series.map((s) => s.name + " " + (s.values[i] === null ? "—" : s.values[i])).join(", "));
    return spec.title + ". " + rows.join("; ") + ".";
  }

  // How far to turn the date labels so that every one shows: flat when they fit side by side,
  // upright on a phone (12 weeks at 360 px), 45 degrees in between.
  function turn(spec, width) {
    if (spec.horizontal) {
      return 0;
    }
    const room = (width - 60) / spec.labels.length;
    const longest = Math.max(...spec.labels.map((label) => label.length)) * FONT_SIZE * 0.62;
    return room >= longest + 8 ? 0 : (room >= FONT_SIZE * 2.4 ? 45 : 90);
  }

  // Labels to skip between two shown: none, unless even upright ones would touch (three weeks of
  // days on a phone), then every other one; the tooltip and the table still name each day.
  function skip(spec, width) {
    const room = (width - 60) / spec.labels.length;
    return spec.horizontal ? 0 : Math.max(0, Math.ceil((FONT_SIZE + 4) / room) - 1);
  }

  function categoryAxis(spec, width) {
    const rotate = turn(spec, width);
    return {
      type: "category",
      data: spec.labels,
      inverse: spec.horizontal, // the first (largest) category on top
      name: spec.label_axis,
      nameLocation: spec.horizontal ? "start" : "middle", // above the categories, or under the dates
      nameGap: spec.horizontal ? 10 : (rotate ? 48 : 30),
      nameTextStyle: text({ color: MUTED, align: spec.horizontal ? "right" : "center" }),
      axisTick: { alignWithLabel: true },
      axisLine: { lineStyle: { color: MUTED } },
      axisLabel: text({
        interval: skip(spec, width), // every week and category is labelled
        rotate: rotate,
        width: spec.horizontal ? (width < NARROW ? 96 : 180) : undefined,
        overflow: spec.horizontal ? "break" : undefined,
        lineHeight: FONT_SIZE + 3,
      }),
    };
  }

  function valueAxis(spec) {
    return {
      type: "value",
      minInterval: 1, // counts are whole numbers
      name: spec.value_axis,
      nameLocation: spec.horizontal ? "middle" : "end",
      nameGap: spec.horizontal ? 30 : 14,
      nameTextStyle: text({ color: MUTED, align: spec.horizontal ? "center" : "left" }),
      axisLabel: text({ color: MUTED }),
      splitLine: { lineStyle: { color: LINE } },
    };
  }

  function series(spec, s) {
    const stacked = Boolean(s.stack);
    return {
      type: s.kind,
      name: s.name,
      data: s.values,
      stack: s.stack || undefined,
      color: css("--chart-" + s.colour, INK),
      barMaxWidth: 28,
      symbolSize: spec.labels.length > 14 ? 5 : 7,
      lineStyle: { width: 3 },
      emphasis: { focus: "series" },
      label: text({
        show: true,
        position: stacked ? "inside" : (spec.horizontal ? "right" : "top"),
        color: stacked ? "#fff" : INK,
        formatter: (p) => (p.value ? String(p.value) : ""), // no "0" on every empty week
      }),
      labelLayout: { hideOverlap: true },
    };
  }

  function option(spec, width) {
    const many = spec.series.length > 1;
    const labels = categoryAxis(spec, width);
    const values = valueAxis(spec);
    return {
      animation: false,
      textStyle: text(),
      aria: { enabled: true, label: { description: describe(spec) } },
      legend: { show: many, top: 0, right: 0, textStyle: text(), itemGap: 16 },
      tooltip: {
        trigger: "axis",
        renderMode: "richText",
        confine: true,
        textStyle: text(),
        axisPointer: { type: spec.horizontal ? "shadow" : "line" },
        // The full date ("2026-11-02") heads the tooltip; the axis carries the short one.
        formatter: (items) => [spec.long_labels[items[0].dataIndex]].concat(
          items.map((item) => item.marker + item.seriesName + ": " + (item.value === null ? "—" : item.value)),
        ).join("\n"),
      },
      // ECharts 6 shrinks the grid until the axis labels and names fit inside the element.
      // The legend is not counted in that: leave it room, two lines of it on a phone.
      grid: { left: 8, right: spec.horizontal ? 28 : 16, top: many ? (width < NARROW ? 80 : 56) : 36, bottom: 8 },
      xAxis: spec.horizontal ? values : labels,
      yAxis: spec.horizontal ? labels : values,
      series: spec.series.map((s) => series(spec, s)),
    };
  }

  function height(spec, width) {
    if (spec.horizontal) {
      const row = width < NARROW ? 40 : 32;
      return Math.max(160, spec.labels.length * row + (spec.series.length > 1 ? 110 : 90));
    }
    return width < NARROW ? 320 : 340;
  }

  function draw(element) {
    let spec;
    try {
      spec = JSON.parse(element.dataset.chart);
    } catch (error) {
      return; // a chart that cannot be read leaves its table open
    }
    element.classList.add("chart-drawn"); // shown from here on: it has a width to measure
    let width = element.clientWidth;
    element.style.height = height(spec, width) + "px"; // CSSOM, which the CSP allows
    const chart = window.echarts.init(element, null, { renderer: "svg", locale: LOCALE });
    chart.setOption(option(spec, width));
    const figures = element.nextElementSibling;
    if (figures && figures.matches("details.chart-figures")) {
      figures.open = false;
    }
    new ResizeObserver(() => {
      if (element.clientWidth === width) {
        return;
      }
      width = element.clientWidth;
      element.style.height = height(spec, width) + "px";
      chart.setOption(option(spec, width), { notMerge: true });
      chart.resize();
    }).observe(element);
  }

  document.querySelectorAll(".chart[data-chart]").forEach(draw);
})();
