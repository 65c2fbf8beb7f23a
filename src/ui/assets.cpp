#include "ui/assets.hpp"

#include <cstddef>

namespace ember::ui {

extern const unsigned char kChartJs[];
extern const std::size_t kChartJsSize;

namespace {

constexpr std::string_view kCss = R"css(
:root {
  --bg: #f6f7f9; --card: #ffffff; --text: #1f2933; --muted: #616e7c; --line: #e4e7eb;
  --accent: #2563eb; --accent-soft: #dbeafe; --ok: #15803d; --bad: #b91c1c; --warn: #b45309;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header.top { display: flex; align-items: center; gap: 24px; padding: 0 24px; height: 52px;
  background: #111827; color: #f9fafb; }
header.top .brand { font-weight: 700; font-size: 18px; letter-spacing: .5px; color: #fb923c; }
header.top nav a { color: #d1d5db; text-decoration: none; margin-right: 18px; padding: 15px 0;
  border-bottom: 3px solid transparent; }
header.top nav a.active, header.top nav a:hover { color: #fff; border-bottom-color: #fb923c; }
header.top .app { margin-left: auto; color: #9ca3af; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; max-width: 40%; }
main { padding: 20px 24px 40px; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 22px; margin: 4px 0 12px; }
h2 { font-size: 16px; margin: 28px 0 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 14px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
.summary { color: var(--muted); margin: 0 0 16px; }
.summary b { color: var(--text); }
.banner { display: none; margin: 0 0 16px; padding: 10px 14px; border-radius: 6px;
  background: #fef3c7; color: #92400e; border: 1px solid #fcd34d; }
.banner.shown { display: block; }
table { width: 100%; border-collapse: collapse; background: var(--card); }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-weight: 600; color: var(--muted); background: #f9fafb; font-size: 12px;
  text-transform: uppercase; letter-spacing: .3px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:hover { background: #f8fafc; }
td.empty { color: var(--muted); font-style: italic; }
a { color: var(--accent); }
.stats td { border-bottom: 1px solid var(--line); }
.stats .metric { width: 200px; }
.stats .metric .name { font-weight: 600; }
.stats .metric .avg { color: var(--muted); font-size: 13px; }
.chart { position: relative; height: 150px; }
.chart.timeline { width: 100%; }
.chart.hist { width: 280px; }
.status-ok { color: var(--ok); font-weight: 600; }
.status-bad { color: var(--bad); font-weight: 600; }
.status-run { color: var(--accent); font-weight: 600; }
.status-wait { color: var(--warn); font-weight: 600; }
.error { color: var(--bad); white-space: pre-wrap; font-family: ui-monospace, monospace;
  font-size: 12px; max-width: 600px; overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-weight: 600; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
.redacted { color: var(--muted); font-style: italic; }
.bar { height: 8px; background: var(--accent-soft); border-radius: 4px; min-width: 2px; }
.bar > span { display: block; height: 8px; background: var(--accent); border-radius: 4px; }
)css";

// The page script. Tables are built with textContent, never innerHTML from JSON, so no
// value from the job can become markup; pages rendered by the server are refreshed by
// fetching them again (the server escapes every value).
constexpr std::string_view kJs = R"js(
(function () {
  'use strict';
  const body = document.body;
  const appId = body.dataset.appId;
  const page = body.dataset.page;
  const api = '/api/v1/applications/' + encodeURIComponent(appId) + '/streaming/';
  const banner = document.getElementById('banner');

  function showBanner(text) {
    if (!banner) return;
    banner.textContent = text;
    banner.classList.toggle('shown', !!text);
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmtMs(ms) {
    if (ms === undefined || ms === null) return '-';
    const a = Math.abs(ms);
    if (a < 1000) return ms + ' ms';
    if (a < 60000) return (ms / 1000).toFixed(1) + ' s';
    if (a < 3600000) return (ms / 60000).toFixed(1) + ' min';
    return (ms / 3600000).toFixed(1) + ' h';
  }
  function fmtCount(n) { return Number(n).toLocaleString('en-US'); }
  function fmtRate(r) {
    return r === undefined || r === null ? '-'
        : r.toLocaleString('en-US', {maximumFractionDigits: 2}) + ' records/s';
  }
  function pad(n, w) { return String(n).padStart(w || 2, '0'); }
  function fmtDate(ms) {
    const d = new Date(ms);
    return d.getFullYear() + '/' + pad(d.getMonth() + 1) + '/' + pad(d.getDate()) + ' ' +
        pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  function fmtClock(ms) {
    const d = new Date(ms);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  function setText(id, text) {
    const e = document.getElementById(id);
    if (e) e.textContent = text;
  }
  async function getJson(path) {
    const r = await fetch(api + path, {cache: 'no-store'});
    if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
    return r.json();
  }
  function fillRows(id, rows, columns, emptyText) {
    const tbody = document.getElementById(id);
    if (!tbody) return;
    const fresh = document.createElement('tbody');
    fresh.id = id;
    if (rows.length === 0) {
      const tr = el('tr');
      const td = el('td', 'empty', emptyText);
      td.colSpan = columns;
      tr.appendChild(td);
      fresh.appendChild(tr);
    }
    for (const cells of rows) {
      const tr = el('tr');
      for (const c of cells) tr.appendChild(c);
      fresh.appendChild(tr);
    }
    tbody.replaceWith(fresh);
  }
  function cell(text, cls) { return el('td', cls, text); }

  // ---- Streaming page --------------------------------------------------------------------
  const metrics = [
    {id: 'input', unit: 'records/s', color: '#2563eb',
     value: b => b.inputSize * 1000 / b.batchDuration, fmt: fmtRate},
    {id: 'scheduling', unit: 'ms', color: '#d97706', value: b => b.schedulingDelay, fmt: fmtMs},
    {id: 'processing', unit: 'ms', color: '#059669', value: b => b.processingTime, fmt: fmtMs},
    {id: 'total', unit: 'ms', color: '#7c3aed', value: b => b.totalDelay, fmt: fmtMs},
  ];
  const charts = {};
  window.emberCharts = charts;  // for the browser test

  function makeCharts() {
    if (!window.Chart) return;
    for (const m of metrics) {
      const t = document.getElementById('timeline-' + m.id);
      const h = document.getElementById('histogram-' + m.id);
      if (!t || !h) continue;
      // A fresh object per chart: Chart.js keeps a reference to what it is given.
      const common = () => ({animation: false, responsive: true, maintainAspectRatio: false,
                             plugins: {legend: {display: false}}});
      charts[m.id] = {
        timeline: new Chart(t, {type: 'line',
          data: {labels: [], datasets: [{data: [], borderColor: m.color, borderWidth: 1.5,
                 backgroundColor: m.color + '22', fill: true, pointRadius: 1.5, tension: 0.2}]},
          options: Object.assign(common(), {scales: {
            x: {ticks: {maxTicksLimit: 8, autoSkip: true}},
            y: {beginAtZero: true, title: {display: true, text: m.unit}}}})}),
        histogram: new Chart(h, {type: 'bar',
          data: {labels: [], datasets: [{data: [], backgroundColor: m.color + '99'}]},
          options: Object.assign(common(), {indexAxis: 'y', scales: {
            x: {beginAtZero: true, title: {display: true, text: 'batches'},
                ticks: {precision: 0}}}})}),
      };
    }
  }

  function histogram(values) {
    if (values.length === 0) return {labels: [], counts: []};
    const min = Math.min(...values), max = Math.max(...values);
    if (max === min) return {labels: [String(Math.round(min * 100) / 100)], counts: [values.length]};
    const bins = Math.min(10, values.length), width = (max - min) / bins;
    const counts = new Array(bins).fill(0);
    for (const v of values) counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
    const labels = counts.map((_, i) => (min + i * width).toFixed(width < 10 ? 1 : 0));
    return {labels: labels.reverse(), counts: counts.reverse()};
  }

  // The input rate of each receiver, as extra lines under the total (Spark's breakdown).
  const receiverColors = ['#0891b2', '#db2777', '#65a30d', '#ea580c', '#4f46e5', '#0d9488'];
  function setReceiverLines(chart, points, receivers) {
    const sets = chart.data.datasets;
    sets.length = 1;
    sets[0].label = 'all streams';
    receivers.forEach((r, i) => {
      const byBatch = new Map(r.eventRates.map(([time, rate]) => [time, rate]));
      const color = receiverColors[i % receiverColors.length];
      sets.push({label: r.streamName, data: points.map(b => byBatch.get(b.batchId) ?? null),
                 borderColor: color, backgroundColor: color, borderWidth: 1, pointRadius: 0,
                 fill: false, tension: 0.2});
    });
    chart.options.plugins.legend.display = sets.length > 1;
  }

  function statusCell(b) {
    if (b.status === 'COMPLETED') {
      return b.numFailedOutputOps > 0 ? cell('Failed', 'status-bad') : cell('Completed', 'status-ok');
    }
    return b.status === 'PROCESSING' ? cell('Processing', 'status-run') : cell('Queued', 'status-wait');
  }
  function batchRow(b) {
    const link = el('a', null, fmtDate(b.batchId));
    link.href = '/streaming/batch?id=' + encodeURIComponent(b.batchId);
    const first = el('td');
    first.appendChild(link);
    return [first, cell(fmtCount(b.inputSize), 'num'), cell(fmtMs(b.schedulingDelay), 'num'),
            cell(fmtMs(b.processingTime), 'num'), cell(fmtMs(b.totalDelay), 'num'),
            cell((b.numCompletedOutputOps) + '/' + b.numTotalOutputOps, 'num'), statusCell(b),
            cell(b.firstFailureReason || '', 'error')];
  }

  function renderStreaming(stats, receivers, batches) {
    const start = Number(body.dataset.startMs);
    setText('uptime', fmtMs(Date.now() - start));
    setText('completed-count', fmtCount(stats.numTotalCompletedBatches));
    setText('record-count', fmtCount(stats.numProcessedRecords));
    setText('avg-input', 'Avg: ' + fmtRate(stats.avgInputRate));
    setText('avg-scheduling', 'Avg: ' + fmtMs(stats.avgSchedulingDelay));
    setText('avg-processing', 'Avg: ' + fmtMs(stats.avgProcessingTime));
    setText('avg-total', 'Avg: ' + fmtMs(stats.avgTotalDelay));
    const completed = batches.filter(b => b.status === 'COMPLETED').reverse();  // oldest first
    for (const m of metrics) {
      const c = charts[m.id];
      if (!c) continue;
      const points = completed.filter(b => m.value(b) !== undefined);
      c.timeline.data.labels = points.map(b => fmtClock(b.batchId));
      c.timeline.data.datasets[0].data = points.map(m.value);
      if (m.id === 'input') setReceiverLines(c.timeline, points, receivers);
      c.timeline.update();
      const h = histogram(points.map(m.value));
      c.histogram.data.labels = h.labels;
      c.histogram.data.datasets[0].data = h.counts;
      c.histogram.update();
    }
    fillRows('receivers', receivers.map(r => [
      cell(r.streamName), cell(r.isActive ? 'ACTIVE' : 'INACTIVE', r.isActive ? 'status-ok' : 'status-bad'),
      cell(r.executorId + ' / ' + r.executorHost), cell(fmtRate(r.avgEventRate), 'num'),
      cell(r.lastErrorTime ? r.lastErrorTime : '-'), cell(r.lastErrorMessage || '', 'error')]),
      6, 'No receivers (queue, file and generator streams have none).');
    const active = batches.filter(b => b.status !== 'COMPLETED');
    setText('active-count', String(active.length));
    setText('completed-shown', String(Math.min(100, completed.length)));
    setText('completed-total', fmtCount(stats.numTotalCompletedBatches));
    fillRows('active-batches', active.map(batchRow), 8, 'No active batches.');
    fillRows('completed-batches', completed.slice().reverse().slice(0, 100).map(batchRow), 8,
             'No completed batches yet.');
  }

  async function refreshStreaming() {
    try {
      const [stats, receivers, batches] = await Promise.all(
          [getJson('statistics'), getJson('receivers'), getJson('batches')]);
      renderStreaming(stats, receivers, batches);
      showBanner('');
    } catch (e) {
      showBanner('Cannot reach the application: it may have stopped. Retrying...');
    }
    setTimeout(refreshStreaming, 1000);
  }

  // ---- Pages rendered by the server: fetch again, swap the content ----------------------
  async function refreshContent() {
    try {
      const r = await fetch(location.href, {cache: 'no-store'});
      if (r.ok) {
        const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
        const fresh = doc.getElementById('content');
        const current = document.getElementById('content');
        if (fresh && current && fresh.innerHTML !== current.innerHTML) {
          current.replaceWith(fresh);
        }
        showBanner('');
      }
    } catch (e) {
      showBanner('Cannot reach the application: it may have stopped. Retrying...');
    }
    setTimeout(refreshContent, 2000);
  }

  if (page === 'streaming') {
    makeCharts();
    refreshStreaming();
  } else if (body.dataset.live === 'true') {
    setTimeout(refreshContent, 2000);
  }
})();
)js";

}  // namespace

std::optional<Asset> staticAsset(std::string_view name) {
  if (name == "ui.css") return Asset{"text/css; charset=utf-8", kCss};
  if (name == "ui.js") return Asset{"text/javascript; charset=utf-8", kJs};
  if (name == "chart.js") {
    return Asset{"text/javascript; charset=utf-8",
                 std::string_view(reinterpret_cast<const char*>(kChartJs), kChartJsSize)};
  }
  return std::nullopt;
}

}  // namespace ember::ui
