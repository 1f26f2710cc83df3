/* pgvigil's web dashboard: plain JavaScript, no build step.
 *
 * One page, routed by the URL's hash (#/overview, #/alerts/12, ...). It signs
 * in with POST /api/v1/session, then reads the JSON API with its session
 * cookie and sends the session's CSRF token (X-CSRF-Token) with every write.
 * Live updates come from GET /api/v1/events (server-sent events); the page
 * also refreshes itself every REFRESH_MS, and stops both while the tab is
 * hidden. What the role cannot do is not shown; the API refuses it anyway.
 * Every text from the database is set as text (never as HTML). */
"use strict";

const REFRESH_MS = 30000;
const ROLES = ["viewer", "operator", "admin"];
const SEVERITIES = ["critical", "high", "medium", "low", "info"];
const RANGES = [["1h", 3600], ["6h", 6 * 3600], ["24h", 86400], ["7d", 7 * 86400],
                ["30d", 30 * 86400], ["90d", 90 * 86400], ["1y", 365 * 86400]];
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#ff7f0e"];

const state = { session: null, source: null, timer: null, refresh: null, charts: [], lastEventId: null };

/* ---------------------------------------------------------------- helpers */

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const fmt = {
  n(v, digits = 0) {
    if (v === null || v === undefined || v === "") return "–";
    const x = Number(v);
    return Number.isFinite(x) ? x.toLocaleString(undefined, { maximumFractionDigits: digits }) : String(v);
  },
  pct(v) { return v === null || v === undefined ? "–" : `${fmt.n(Number(v) * 100, 1)} %`; },
  secs(v) {
    if (v === null || v === undefined) return "–";
    const s = Number(v);
    if (s < 1) return `${fmt.n(s * 1000)} ms`;
    if (s < 120) return `${fmt.n(s, 1)} s`;
    if (s < 7200) return `${fmt.n(s / 60, 1)} min`;
    if (s < 172800) return `${fmt.n(s / 3600, 1)} h`;
    return `${fmt.n(s / 86400, 1)} d`;
  },
  time(v) { return v ? new Date(v).toLocaleString() : "–"; },
  ago(v) { return v ? fmt.secs((Date.now() - new Date(v).getTime()) / 1000) + " ago" : "–"; },
};

function sev(s) { return h("span", { class: `sev sev-${SEVERITIES.includes(s) ? s : "none"}` }, s || "none"); }
function pill(kind, s) { return h("span", { class: `state st-${s || "unknown"}` }, s || "unknown"); }
function labels(obj) {
  return h("span", { class: "labels" }, Object.entries(obj || {}).map(([k, v]) => h("code", {}, `${k}=${v}`)));
}
function card(title, ...body) { return h("section", { class: "card", "aria-label": title }, h("h2", {}, title), ...body); }
function stat(label, value, key) {
  return h("div", { class: "card stat" }, h("div", { class: "value", "data-stat": key }, value), h("div", { class: "label" }, label));
}
function table(columns, rows, opts = {}) {
  if (!rows.length) return h("p", { class: "muted" }, opts.empty || "Nothing here.");
  // narrow: a column a phone-sized screen can do without.
  const cls = (c) => [c.num ? "num" : null, c.narrow ? "hide-narrow" : null].filter(Boolean).join(" ") || null;
  return h("div", { class: "table-wrap" }, h("table", { "data-table": opts.name || null },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: cls(c) }, c.title)))),
    h("tbody", {}, rows.map((r) => h("tr", { "data-row": opts.key ? opts.key(r) : null },
      columns.map((c) => h("td", { class: cls(c) }, c.cell(r))))))));
}
function can(role) {
  return !!state.session && ROLES.indexOf(state.session.role) >= ROLES.indexOf(role);
}
function say(text, ok = false) {
  const box = document.getElementById("messages");
  const m = h("div", { class: ok ? "message ok" : "message" }, text);
  box.append(m);
  setTimeout(() => m.remove(), ok ? 4000 : 10000);
}

/* ------------------------------------------------------------------- API */

class ApiFailure extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status; this.code = e.code; this.hint = e.hint; this.detail = e.detail;
  }
  get text() { return [this.code, this.message, this.detail, this.hint].filter(Boolean).join(": "); }
}

async function api(path, { method = "GET", body, params } = {}) {
  const url = new URL(`/api/v1${path}`, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    for (const x of [].concat(v)) if (x !== null && x !== undefined && x !== "") url.searchParams.append(k, x);
  }
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && state.session) headers["X-CSRF-Token"] = state.session.csrf_token;
  const response = await fetch(url, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    if (response.status === 401 && path !== "/session") { signedOut(); }
    throw new ApiFailure(response.status, data);
  }
  return data;
}

async function act(button, work, done) {
  button.disabled = true;
  try {
    const result = await work();
    if (done) say(done, true);
    await refresh();
    return result;
  } catch (e) {
    say(e instanceof ApiFailure ? e.text : String(e));
  } finally {
    button.disabled = false;
  }
}

/* ---------------------------------------------------------------- charts */

function chart(title, xs, series, { height = 240, unit = "", seconds = 86400, fit = false } = {}) {
  const box = h("div", { class: "chart", role: "img", "aria-label": `${title} (chart)` });
  if (!xs.length) return h("p", { class: "muted" }, `${title}: no data in this range.`);
  // The x axis spans the range asked for, however few points fell in it;
  // with fit, only from the first point (but at least the last hour).
  const to = Date.now() / 1000;
  const from = fit ? Math.max(to - seconds, Math.min(xs[0], to - 3600)) : to - seconds;
  const opts = {
    title, width: 600, height,
    scales: { x: { time: true, range: () => [Math.min(from, xs[0]), Math.max(to, xs[xs.length - 1])] } },
    axes: [{}, { label: unit, size: 60 }],
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: s.color || COLORS[i % COLORS.length], width: 2, spanGaps: true, scale: s.scale }))],
  };
  if (series.some((s) => s.scale === "ratio")) {
    opts.scales.ratio = { range: [0, 1] };
    opts.axes.push({ scale: "ratio", side: 1, grid: { show: false }, label: "failure ratio", size: 50 });
  }
  requestAnimationFrame(() => {
    if (!box.isConnected || typeof uPlot === "undefined") return;
    const plot = new uPlot({ ...opts, width: Math.max(240, box.clientWidth) }, [xs, ...series.map((s) => s.values)], box);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(240, box.clientWidth), height }));
    resize.observe(box);
    state.charts.push({ plot, resize });
  });
  return box;
}

function dropCharts() {
  for (const c of state.charts) { c.resize.disconnect(); c.plot.destroy(); }
  state.charts = [];
}

function byTime(rows, valueOf) {
  const keys = [...new Set(rows.map((r) => r.time))].sort();
  const at = new Map(keys.map((k, i) => [k, i]));
  return { xs: keys.map((k) => new Date(k).getTime() / 1000), at, values: () => keys.map(() => null), valueOf };
}

/* ----------------------------------------------------------------- pages */

const pages = {};

pages.overview = async () => {
  const [o, tasks, errors] = await Promise.all([api("/overview"), api("/tasks"), api("/errors", { params: { limit: 1000 } })]);
  const t = o.tasks || {}, a = o.alerts || {}, e = o.errors || {}, hl = o.health || {};
  setCounts(o);
  const ended = (t.completed_last_hour || 0) + (t.failed_last_hour || 0);
  const statuses = Object.entries(t.by_status || {}).sort((x, y) => y[1] - x[1]);

  // Throughput and failure ratio over time, summed over task types.
  const axis = byTime(tasks.history);
  const through = axis.values(), failed = axis.values(), ends = axis.values();
  for (const r of tasks.history) {
    const i = axis.at.get(r.time);
    through[i] = (through[i] || 0) + Number(r.throughput_per_minute || 0);
    failed[i] = (failed[i] || 0) + Number(r.failed || 0);
    ends[i] = (ends[i] || 0) + Number(r.ended || 0);
  }
  const ratio = ends.map((n, i) => (n ? failed[i] / n : null));
  const types = [...new Set(tasks.history.map((r) => r.task_type))].sort();
  const typeSelect = h("select", { id: "duration-type" }, types.map((x) => h("option", { value: x }, x)));
  const durationBox = h("div", {});
  const drawDurations = () => {
    const rows = tasks.history.filter((r) => r.task_type === typeSelect.value);
    const ax = byTime(rows), p50 = ax.values(), p95 = ax.values();
    for (const r of rows) { const i = ax.at.get(r.time); p50[i] = r.p50_duration_seconds; p95[i] = r.p95_duration_seconds; }
    durationBox.replaceChildren(chart(`${typeSelect.value}: duration`, ax.xs, [
      { label: "p50 (s)", values: p50 }, { label: "p95 (s)", values: p95 }], { unit: "seconds", fit: true }));
  };
  typeSelect.addEventListener("change", drawDurations);

  const byComponent = new Map();
  for (const r of errors) byComponent.set(r.component, (byComponent.get(r.component) || 0) + Number(r.error_count));
  const topErrors = [...byComponent.entries()].sort((x, y) => y[1] - x[1]).slice(0, 10);
  const maxErrors = Math.max(1, ...topErrors.map((x) => x[1]));

  const view = h("div", {},
    h("h1", {}, "Overview"),
    h("p", { class: "muted" }, `As of ${fmt.time(o.generated_at)}; tasks over the last ${t.window_hours || 24} hours.`),
    h("div", { class: "cards" },
      stat("tasks running", fmt.n(t.running), "tasks-running"),
      stat("completed, last hour", fmt.n(t.completed_last_hour), "completed-last-hour"),
      stat("failed, last hour", fmt.n(t.failed_last_hour), "failed-last-hour"),
      stat("failure ratio, last hour", ended ? fmt.pct(t.failed_last_hour / ended) : "–", "failure-ratio"),
      stat("throughput", `${fmt.n(t.throughput_per_minute, 1)}/min`, "throughput"),
      stat("p95 duration", fmt.secs(t.p95_duration_seconds), "p95-duration"),
      stat("errors, last hour", fmt.n(e.last_hour), "errors-last-hour"),
      stat("active alerts", fmt.n(a.active), "active-alerts")),
    h("div", { class: "grid" },
      card("Tasks by status", table([
        { title: "status", cell: (r) => r[0] }, { title: "tasks", num: true, cell: (r) => fmt.n(r[1]) }],
        statuses, { name: "tasks-by-status", key: (r) => r[0] })),
      card("Active alerts by severity",
        table([{ title: "severity", cell: (r) => sev(r[0]) }, { title: "alerts", num: true, cell: (r) => fmt.n(r[1]) }],
          SEVERITIES.filter((s) => (a.by_severity || {})[s]).map((s) => [s, a.by_severity[s]]),
          { name: "alerts-by-severity", key: (r) => r[0], empty: "No active alerts." }),
        h("ul", {}, (a.items || []).slice(0, 5).map((x) =>
          h("li", {}, sev(x.severity), " ", h("a", { href: `#/alerts/${x.alert_id}` }, x.title))))),
      card("Errors by component (24 h)", topErrors.length ? h("ul", { class: "bars", "data-list": "errors-by-component" },
        topErrors.map(([c, n]) => h("li", { "data-row": c }, h("span", {}, c),
          h("span", { class: "bar", style: null, "data-width": n / maxErrors }), h("span", { class: "n" }, fmt.n(n)))))
        : h("p", { class: "muted" }, "No errors."))),
    h("div", { class: "grid" },
      card("Throughput and failure ratio", chart("tasks per minute", axis.xs, [
        { label: "tasks/min", values: through }, { label: "failure ratio", values: ratio, scale: "ratio", color: "#a1001e" }], { fit: true })),
      card("Duration p50 / p95", h("label", {}, "Task type", typeSelect), durationBox)),
    h("div", { class: "grid" },
      card("Health", (hl.components || []).length ? h("ul", { class: "health-grid", "data-list": "health" },
        hl.components.map((c) => h("li", { class: `st-${c.status}`, "data-row": c.component_name },
          h("a", { href: `#/components/${encodeURIComponent(c.component_name)}` }, c.component_name),
          h("div", {}, c.status), h("div", {}, c.failure_reason || ""))))
        : h("p", { class: "muted" }, "No component reports health yet.")),
      card("Queues", table([
        { title: "queue", cell: (q) => q.queue_name },
        { title: "pending", num: true, cell: (q) => fmt.n(q.pending) },
        { title: "processing", num: true, cell: (q) => fmt.n(q.processing) },
        { title: "oldest pending", num: true, cell: (q) => fmt.secs(q.oldest_pending_age_seconds) }],
        o.queues || [], { name: "queues", key: (q) => q.queue_name, empty: "No queue samples." }))));
  // Widths are set through the CSSOM: the page's CSP allows no inline style attributes.
  for (const bar of view.querySelectorAll(".bar[data-width]")) bar.style.width = `${Math.max(2, 100 * Number(bar.dataset.width))}%`;
  if (types.length) {
    const busiest = types.map((x) => [x, tasks.history.filter((r) => r.task_type === x).reduce((s, r) => s + r.ended, 0)]).sort((p, q) => q[1] - p[1])[0][0];
    typeSelect.value = busiest;
    drawDurations();
  }
  return view;
};

pages.metrics = async (params) => {
  const names = await api("/metrics");
  const metric = params.get("metric") || (names[0] && names[0].metric_name) || "";
  const info = names.find((m) => m.metric_name === metric) || { components: [] };
  const component = params.get("component") || "";
  const range = params.get("range") || "24h";
  const seconds = (RANGES.find((r) => r[0] === range) || RANGES[2])[1];
  const form = h("form", { class: "toolbar", onsubmit: (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    location.hash = `#/metrics?${new URLSearchParams([...f.entries()].filter((x) => x[1]))}`;
  } },
    h("label", {}, "Metric", h("select", { name: "metric" }, names.map((m) => h("option", { value: m.metric_name, selected: m.metric_name === metric }, m.metric_name)))),
    h("label", {}, "Component", h("select", { name: "component" }, h("option", { value: "" }, "all"),
      info.components.map((c) => h("option", { value: c, selected: c === component }, c)))),
    h("label", {}, "Range", h("select", { name: "range" }, RANGES.map(([r]) => h("option", { value: r, selected: r === range }, r)))),
    h("button", { type: "submit" }, "Show"));
  if (!metric) return h("div", {}, h("h1", {}, "Metrics"), h("p", { class: "muted" }, "No metric recorded in the last 7 days."));
  const since = new Date(Date.now() - seconds * 1000).toISOString();
  const found = await api(`/metrics/${encodeURIComponent(metric)}/history`, { params: { since, component } });
  const points = found.points;
  const axis = byTime(points);
  let series;
  if (component) {
    const avg = axis.values(), p95 = axis.values(), max = axis.values();
    for (const p of points) { const i = axis.at.get(p.time); avg[i] = p.avg_value; p95[i] = p.p95_value; max[i] = p.max_value; }
    series = [{ label: "avg", values: avg }, { label: "p95", values: p95 }, { label: "max", values: max }];
  } else {
    const comps = [...new Set(points.map((p) => p.component))].sort().slice(0, 10);
    series = comps.map((c) => {
      const v = axis.values();
      for (const p of points) if (p.component === c) v[axis.at.get(p.time)] = p.avg_value;
      return { label: `${c} avg`, values: v };
    });
  }
  return h("div", {}, h("h1", {}, "Metrics"), form,
    card(`${metric}${component ? ` on ${component}` : ""}, last ${range}`,
      h("p", { class: "muted" }, `${fmt.n(points.length)} points of ${found.bucket === "5m" ? "5 minutes" : "1 hour"} (${info.unit || "no unit"})`),
      chart(metric, axis.xs, series, { unit: info.unit || "", height: 320, seconds })));
};

function silenceForm(alert) {
  const matchers = Object.entries(alert.labels || {}).filter(([k]) => k !== "severity")
    .map(([k, v]) => `${k}="${String(v).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`);
  const box = h("form", { class: "form card", "aria-label": "New silence" });
  const m = h("textarea", { name: "matchers", rows: 3, required: true }, matchers.join("\n"));
  const d = h("input", { name: "duration", value: "2h", required: true });
  const c = h("input", { name: "comment", required: true, placeholder: "why" });
  const go = h("button", { type: "submit" }, "Create silence");
  box.append(h("label", {}, "Matchers, one per line", m), h("label", {}, "Duration (30m, 2h, 1d)", d),
    h("label", {}, "Comment", c), h("div", { class: "actions" }, go,
      h("button", { type: "button", class: "secondary", onclick: () => box.remove() }, "Cancel")));
  box.addEventListener("submit", (ev) => {
    ev.preventDefault();
    act(go, () => api("/silences", { method: "POST", body: {
      matchers: m.value.split("\n").map((x) => x.trim()).filter(Boolean), duration: d.value.trim(), comment: c.value.trim() } }),
    "Silence created.");
  });
  return box;
}

function noteForm(label, onNote) {
  const box = h("form", { class: "inline" });
  const note = h("input", { name: "note", placeholder: "note (optional)", "aria-label": `${label}: note` });
  const go = h("button", { type: "submit", class: "small" }, label);
  box.append(note, h("div", { class: "actions" }, go, h("button", { type: "button", class: "small secondary", onclick: () => box.remove() }, "Cancel")));
  box.addEventListener("submit", (ev) => { ev.preventDefault(); act(go, () => onNote(note.value.trim() || null), `${label}: done.`); });
  return box;
}

function alertActions(a) {
  if (!can("operator")) return null;
  const cell = h("div", { class: "actions" });
  const show = (form) => { cell.querySelector("form")?.remove(); cell.append(form); form.querySelector("input,textarea")?.focus(); };
  if (a.state !== "acknowledged" && !a.acknowledged_at) {
    cell.append(h("button", { type: "button", class: "small", "data-action": "acknowledge", onclick: () =>
      show(noteForm("Acknowledge", (note) => api(`/alerts/${a.alert_id}/acknowledge`, { method: "POST", body: { note } }))) }, "Acknowledge"));
  }
  cell.append(h("button", { type: "button", class: "small secondary", "data-action": "silence", onclick: () => show(silenceForm(a)) }, "Silence like this"));
  if (!a.rule_name || a.rule_name === "") {
    cell.append(h("button", { type: "button", class: "small secondary", "data-action": "resolve", onclick: () =>
      show(noteForm("Resolve", (note) => api(`/alerts/${a.alert_id}/resolve`, { method: "POST", body: { note } }))) }, "Resolve"));
  }
  return cell;
}

pages.alerts = async (params) => {
  const tab = params.get("tab") || "active";
  const tabs = h("div", { class: "tabs", role: "tablist" }, [["active", "Active"], ["history", "History"], ["silences", "Silences"]].map(([k, t]) =>
    h("button", { type: "button", role: "tab", "aria-selected": String(k === tab), onclick: () => { location.hash = `#/alerts?tab=${k}`; } }, t)));
  let body;
  if (tab === "history") {
    const rows = await api("/alerts/history", { params: { limit: 500 } });
    body = table([
      { title: "when", cell: (r) => fmt.time(r.occurred_at) },
      { title: "transition", cell: (r) => r.transition },
      { title: "severity", cell: (r) => sev(r.severity) },
      { title: "alert", cell: (r) => h("a", { href: `#/alerts/${r.alert_id}` }, r.rule_name || r.alert_type, " ", r.subject || "") },
      { title: "by", narrow: true, cell: (r) => r.actor || "" },
      { title: "note", narrow: true, cell: (r) => r.note || "" }], rows, { name: "alert-history", key: (r) => r.event_id, empty: "No alert transitions in the last 24 hours." });
  } else if (tab === "silences") {
    const rows = await api("/silences");
    body = table([
      { title: "state", cell: (s) => s.state },
      { title: "matchers", cell: (s) => h("code", {}, s.matchers_text) },
      { title: "ends", cell: (s) => fmt.time(s.ends_at) },
      { title: "by", narrow: true, cell: (s) => s.created_by },
      { title: "comment", cell: (s) => s.comment },
      { title: "held back", num: true, narrow: true, cell: (s) => fmt.n(s.suppressed_notifications) },
      ...(can("operator") ? [{ title: "", cell: (s) => h("button", { type: "button", class: "small secondary", onclick: (ev) =>
        act(ev.target, () => api(`/silences/${s.silence_id}`, { method: "DELETE" }), "Silence expired.") }, "Expire") }] : [])],
    rows, { name: "silences", key: (s) => s.silence_id, empty: "No pending or active silences." });
  } else {
    const rows = await api("/alerts");
    body = table([
      { title: "severity", cell: (a) => sev(a.severity) },
      { title: "state", cell: (a) => pill("alert", a.acknowledged_at ? "acknowledged" : (a.state || "firing")) },
      { title: "alert", cell: (a) => h("div", {}, h("a", { href: `#/alerts/${a.alert_id}` }, a.title), h("div", { class: "muted" }, a.message)) },
      { title: "labels", narrow: true, cell: (a) => labels(a.labels) },
      { title: "since", cell: (a) => fmt.ago(a.triggered_at) },
      { title: "acknowledged", narrow: true, cell: (a) => (a.acknowledged_by ? `${a.acknowledged_by}, ${fmt.ago(a.acknowledged_at)}` : "") },
      ...(can("operator") ? [{ title: "", cell: alertActions }] : [])],
    rows, { name: "active-alerts", key: (a) => a.alert_id, empty: "No active alerts." });
  }
  return h("div", {}, h("h1", {}, "Alerts"), tabs, card(tab === "active" ? "Active alerts" : tab === "history" ? "Last 24 hours" : "Silences", body));
};

pages.alert = async (params, id) => {
  const found = await api(`/alerts/${encodeURIComponent(id)}`);
  const a = found.active || (found.timeline[0] || {});
  return h("div", {}, h("h1", {}, a.title || `Alert ${id}`), h("p", {}, h("a", { href: "#/alerts" }, "← all alerts")),
    h("div", { class: "grid" },
      card("Now", found.active ? h("div", {},
        h("p", {}, sev(a.severity), " ", pill("alert", a.acknowledged_at ? "acknowledged" : a.state)),
        h("p", {}, a.message), labels(a.labels),
        h("p", { class: "muted" }, `triggered ${fmt.time(a.triggered_at)}, seen ${a.occurrence_count} times, last ${fmt.ago(a.last_seen_at)}`),
        a.acknowledged_at ? h("p", {}, `acknowledged by ${a.acknowledged_by} ${fmt.ago(a.acknowledged_at)}`) : null,
        alertActions(a)) : h("p", { class: "muted" }, "Resolved.")),
      card("Incident timeline", h("ol", { class: "timeline", "data-list": "timeline" }, found.timeline.slice().reverse().map((e) =>
        h("li", {}, h("strong", {}, e.transition), ` ${fmt.time(e.occurred_at)}`, e.actor ? ` by ${e.actor}` : "",
          e.severity ? [" ", sev(e.severity)] : "", e.note ? h("div", { class: "muted" }, e.note) : ""))))));
};

pages.rules = async () => {
  const rules = await api("/rules");
  const editor = h("div", {});
  const edit = (rule) => {
    const text = h("textarea", { rows: 16, "aria-label": "Rule definition (JSON)" }, JSON.stringify(rule ? rule.definition : {
      name: "new_rule", source: { kind: "metric", metric_name: "cpu_percent" }, aggregate: "avg", window: "5m",
      group_by: ["component"], thresholds: { high: 90 } }, null, 2));
    const preview = h("div", { "data-list": "rule-preview" });
    const parsed = () => JSON.parse(text.value);
    const test = h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        const rows = await api("/rules/test", { method: "POST", body: parsed() });
        preview.replaceChildren(table([
          { title: "group", cell: (r) => labels(r.group_labels) },
          { title: "value", num: true, cell: (r) => fmt.n(r.value, 3) },
          { title: "severity", cell: (r) => (r.severity ? sev(r.severity) : "ok") },
          { title: "now", cell: (r) => r.state || "" },
          { title: "would be", cell: (r) => r.would_be || "" }], rows, { empty: "The rule matches nothing now." }));
      } catch (e) { say(e instanceof ApiFailure ? e.text : `not JSON: ${e.message}`); }
    } }, "Test (changes nothing)");
    const save = h("button", { type: "button", onclick: (ev) => {
      let body; try { body = parsed(); } catch (e) { say(`not JSON: ${e.message}`); return; }
      act(ev.target, () => api(`/rules/${encodeURIComponent(body.name)}`, { method: "PUT", body }), `Rule ${body.name} saved.`);
    } }, "Save");
    editor.replaceChildren(card(rule ? `Edit ${rule.rule_name}` : "New rule", text, h("div", { class: "actions" }, test, save,
      h("button", { type: "button", class: "secondary", onclick: () => editor.replaceChildren() }, "Close")), preview));
    text.focus();
  };
  return h("div", {}, h("h1", {}, "Rules"),
    can("operator") ? h("p", {}, h("button", { type: "button", onclick: () => edit(null) }, "New rule")) : null, editor,
    card(`${rules.length} rules`, table([
      { title: "rule", cell: (r) => h("div", {}, h("strong", {}, r.rule_name), h("div", { class: "muted" }, r.description || "")) },
      { title: "severities", narrow: true, cell: (r) => Object.entries(r.thresholds || {}).map(([s, v]) => h("span", {}, sev(s), ` ${v} `)) },
      { title: "firing", num: true, cell: (r) => fmt.n(r.firing_alerts) },
      { title: "pending", num: true, narrow: true, cell: (r) => fmt.n(r.pending_groups) },
      { title: "enabled", cell: (r) => can("operator")
        ? h("label", {}, h("input", { type: "checkbox", checked: r.enabled, "aria-label": `${r.rule_name} enabled`, onchange: (ev) =>
          act(ev.target, () => api(`/rules/${encodeURIComponent(r.rule_name)}/enabled`, { method: "PUT", body: { enabled: ev.target.checked } }),
            `${r.rule_name} ${ev.target.checked ? "enabled" : "disabled"}.`) }))
        : (r.enabled ? "yes" : "no") },
      ...(can("operator") ? [{ title: "", cell: (r) => h("button", { type: "button", class: "small secondary", onclick: () => edit(r) }, "Edit") }] : [])],
    rules, { name: "rules", key: (r) => r.rule_name })));
};

pages.components = async () => {
  const rows = await api("/components");
  return h("div", {}, h("h1", {}, "Components"), card(`${rows.length} components`, table([
    { title: "component", cell: (c) => h("a", { href: `#/components/${encodeURIComponent(c.component)}` }, c.component) },
    { title: "type", narrow: true, cell: (c) => c.component_type || "" },
    { title: "health", cell: (c) => (c.health_status ? pill("health", c.health_status) : h("span", { class: "muted" }, "no reports")) },
    { title: "since", narrow: true, cell: (c) => fmt.ago(c.health_status_since) },
    { title: "open alerts", num: true, cell: (c) => (c.open_alerts ? [sev(c.top_severity), ` ${c.open_alerts}`] : "0") },
    { title: "last seen", narrow: true, cell: (c) => fmt.ago(c.last_report_at) }], rows, { name: "components", key: (c) => c.component })));
};

pages.component = async (params, name) => {
  const [c, names] = await Promise.all([api(`/components/${encodeURIComponent(name)}`), api("/metrics")]);
  const hl = c.health[0];
  const since = new Date(Date.now() - 86400 * 1000).toISOString();
  const mine = names.filter((m) => m.components.includes(name)).slice(0, 6);
  const histories = await Promise.all(mine.map((m) => api(`/metrics/${encodeURIComponent(m.metric_name)}/history`, { params: { since, component: name } })));
  return h("div", {}, h("h1", {}, name), h("p", {}, h("a", { href: "#/components" }, "← all components")),
    h("div", { class: "grid" },
      card("Health", hl ? h("div", {},
        h("p", {}, pill("health", hl.status), ` for ${fmt.secs(hl.seconds_in_status)}`),
        hl.failure_reason ? h("p", {}, hl.failure_reason) : null,
        h("p", {}, "Uptime, 24 h: ", h("strong", { "data-stat": "uptime" }, fmt.pct(hl.uptime_ratio_24h))),
        h("p", { class: "muted" }, `${hl.status_changes_24h} status changes in 24 h; last healthy ${fmt.ago(hl.last_healthy_at)}; ` +
          `mean time to recovery ${fmt.secs(hl.mean_time_to_recovery_seconds)}`))
        : h("p", { class: "muted" }, "This component reports no health.")),
      card("Open alerts", table([
        { title: "severity", cell: (a) => sev(a.severity) },
        { title: "alert", cell: (a) => h("a", { href: `#/alerts/${a.alert_id}` }, a.title) },
        { title: "since", cell: (a) => fmt.ago(a.triggered_at) }], c.open_alerts, { empty: "No open alerts." }))),
    h("div", { class: "grid" }, histories.map((found, i) => {
      const axis = byTime(found.points), avg = axis.values(), max = axis.values();
      for (const p of found.points) { const j = axis.at.get(p.time); avg[j] = p.avg_value; max[j] = p.max_value; }
      return card(`${mine[i].metric_name}, 24 h`, chart(mine[i].metric_name, axis.xs, [{ label: "avg", values: avg }, { label: "max", values: max }], { unit: mine[i].unit, fit: true }));
    })));
};

pages.notifications = async () => {
  const [receivers, log] = await Promise.all([api("/receivers"), api("/notifications", { params: { limit: 200 } })]);
  return h("div", {}, h("h1", {}, "Notifications"),
    card("Receivers", table([
      { title: "receiver", cell: (r) => r.receiver },
      { title: "integrations", narrow: true, cell: (r) => (r.integrations || []).join(", ") },
      { title: "delivered, 24 h", num: true, cell: (r) => fmt.n(r.delivered_24h) },
      { title: "failed, 24 h", num: true, cell: (r) => fmt.n(r.failed_24h) },
      { title: "pending", num: true, cell: (r) => fmt.n(r.pending) },
      { title: "delivery p50", num: true, narrow: true, cell: (r) => fmt.secs(r.delivery_p50_seconds) },
      { title: "last error", narrow: true, cell: (r) => (r.last_error ? `${r.last_error} (${fmt.ago(r.last_error_at)})` : "") }],
    receivers, { name: "receivers", key: (r) => r.receiver, empty: "No receivers configured." })),
    card("Delivery log", table([
      { title: "created", cell: (n) => fmt.time(n.created_at) },
      { title: "receiver", cell: (n) => `${n.receiver} (${n.integration})` },
      { title: "status", cell: (n) => n.status },
      { title: "alerts", num: true, cell: (n) => `${fmt.n(n.alerts)} ${n.payload_status || ""}` },
      { title: "group", narrow: true, cell: (n) => h("code", {}, n.group_key) },
      { title: "attempts", num: true, narrow: true, cell: (n) => fmt.n(n.attempts) },
      { title: "error", narrow: true, cell: (n) => n.last_error || "" }], log, { name: "notifications", key: (n) => n.notification_id, empty: "Nothing sent yet." })));
};

pages.tasks = async (params) => {
  const range = params.get("range") || "24h";
  const seconds = (RANGES.find((r) => r[0] === range) || RANGES[2])[1];
  const type = params.get("task_type") || "", status = params.get("status") || "";
  const since = new Date(Date.now() - seconds * 1000).toISOString();
  const [summary, runs] = await Promise.all([api("/tasks"),
    api("/tasks/runs", { params: { since, task_type: type, status, limit: 500 } })]);
  const form = h("form", { class: "toolbar", onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = `#/tasks?${new URLSearchParams([...new FormData(ev.target).entries()].filter((x) => x[1]))}`;
  } },
    h("label", {}, "Task type", h("select", { name: "task_type" }, h("option", { value: "" }, "all"),
      summary.status.map((t) => h("option", { value: t.task_type, selected: t.task_type === type }, t.task_type)))),
    h("label", {}, "Status", h("select", { name: "status" }, h("option", { value: "" }, "any"),
      ["running", "completed", "failed", "cancelled", "timeout"].map((x) => h("option", { value: x, selected: x === status }, x)))),
    h("label", {}, "Started in the last", h("select", { name: "range" }, RANGES.filter(([, s]) => s <= 7 * 86400).map(([r]) =>
      h("option", { value: r, selected: r === range }, r)))),
    h("button", { type: "submit" }, "Show"));
  return h("div", {}, h("h1", {}, "Tasks"),
    card("Now, per task type (last hour)", table([
      { title: "type", cell: (t) => t.task_type },
      { title: "running", num: true, cell: (t) => fmt.n(t.running_count) },
      { title: "oldest running", num: true, narrow: true, cell: (t) => fmt.secs(t.oldest_running_seconds) },
      { title: "completed", num: true, cell: (t) => fmt.n(t.completed_last_hour) },
      { title: "failed", num: true, cell: (t) => fmt.n(t.failed_last_hour) },
      { title: "failure ratio", num: true, narrow: true, cell: (t) => fmt.pct(t.failure_ratio) },
      { title: "p95 duration", num: true, cell: (t) => fmt.secs(t.p95_duration_seconds) }],
    summary.status, { name: "task-status", key: (t) => t.task_type, empty: "No task in the last hour." })),
    form,
    card(`${fmt.n(runs.length)} runs${runs.length === 500 ? " (the newest 500)" : ""}`, table([
      { title: "started", cell: (t) => fmt.time(t.start_time) },
      { title: "task", cell: (t) => h("div", {}, h("code", {}, t.task_id), h("div", { class: "muted" }, t.task_type)) },
      { title: "status", cell: (t) => t.status },
      { title: "duration", num: true, cell: (t) => fmt.secs(t.duration_seconds ?? t.running_seconds) },
      { title: "worker", narrow: true, cell: (t) => t.worker_id || "" },
      { title: "errors", num: true, cell: (t) => fmt.n(t.errors) },
      { title: "last error", narrow: true, cell: (t) => t.last_error || "" }],
    runs, { name: "task-runs", key: (t) => t.task_id, empty: "No task started in this range with these filters." })));
};

pages.reports = async (params) => {
  const range = params.get("range") || "7d";
  const seconds = (RANGES.find((r) => r[0] === range) || RANGES[3])[1];
  const since = new Date(Date.now() - seconds * 1000).toISOString();
  const report = await api("/reports", { params: { since } });
  const form = h("form", { class: "toolbar", onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = `#/reports?range=${new FormData(ev.target).get("range")}`;
  } }, h("label", {}, "Range", h("select", { name: "range" }, RANGES.filter(([, s]) => s >= 86400).map(([r]) =>
    h("option", { value: r, selected: r === range }, r)))), h("button", { type: "submit" }, "Show"));
  return h("div", {}, h("h1", {}, "Reports"), form,
    h("p", { class: "muted" }, `From ${fmt.time(report.since)} to ${fmt.time(report.until)}.`),
    card("Alert response: time to detect, acknowledge and resolve", table([
      { title: "rule", cell: (r) => (r.rule_name === "(all)" ? h("strong", {}, "all rules") : r.rule_name) },
      { title: "alerts", num: true, cell: (r) => fmt.n(r.alerts) },
      { title: "open", num: true, narrow: true, cell: (r) => fmt.n(r.still_open) },
      { title: "MTTD", num: true, cell: (r) => fmt.secs(r.mean_time_to_detect_seconds) },
      { title: "MTTA", num: true, cell: (r) => fmt.secs(r.mean_time_to_acknowledge_seconds) },
      { title: "MTTR", num: true, cell: (r) => fmt.secs(r.mean_time_to_resolve_seconds) },
      { title: "p95 TTR", num: true, narrow: true, cell: (r) => fmt.secs(r.p95_time_to_resolve_seconds) },
      { title: "worst", narrow: true, cell: (r) => sev(r.worst_severity) }],
    report.alerts, { name: "alert-response", key: (r) => r.rule_name, empty: "No alert was raised in this range." })),
    card("Uptime per component", table([
      { title: "component", cell: (c) => h("a", { href: `#/components/${encodeURIComponent(c.component_name)}` }, c.component_name) },
      { title: "uptime", num: true, cell: (c) => fmt.pct(c.uptime_ratio) },
      { title: "unhealthy", num: true, cell: (c) => fmt.secs(c.unhealthy_seconds) },
      { title: "degraded", num: true, narrow: true, cell: (c) => fmt.secs(c.degraded_seconds) },
      { title: "incidents", num: true, cell: (c) => fmt.n(c.incidents) },
      { title: "MTTR", num: true, narrow: true, cell: (c) => fmt.secs(c.mean_time_to_recovery_seconds) },
      { title: "observed", num: true, narrow: true, cell: (c) => fmt.secs(c.observed_seconds) }],
    report.components, { name: "uptime", key: (c) => c.component_name, empty: "No component reported health in this range." })));
};

/* ---------------------------------------------------------------- router */

function route() {
  const [path, query] = (location.hash.replace(/^#\/?/, "") || "overview").split("?");
  const [page, arg] = path.split("/");
  const params = new URLSearchParams(query || "");
  if (page === "alerts" && arg) return { name: "alerts", render: () => pages.alert(params, decodeURIComponent(arg)) };
  if (page === "components" && arg) return { name: "components", render: () => pages.component(params, decodeURIComponent(arg)) };
  const known = pages[page] ? page : "overview";
  return { name: known, render: () => pages[known](params) };
}

let rendering = null;
async function refresh() {
  if (!state.session) return;
  const r = route();
  for (const a of document.querySelectorAll("nav a[data-page]")) {
    if (a.dataset.page === r.name) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  const mine = (rendering = Symbol(r.name));
  const main = document.getElementById("main");
  // A form someone is typing in is not thrown away by a background refresh.
  if (main.contains(document.activeElement) && document.activeElement.matches("input,textarea,select") && refresh.background) return;
  try {
    const view = await r.render();
    if (mine !== rendering) return;
    dropCharts();
    main.replaceChildren(view);
    main.dataset.page = r.name;
    main.dataset.loadedAt = String(Date.now());
  } catch (e) {
    if (mine !== rendering) return;
    if (e instanceof ApiFailure && e.status === 401) return;
    main.replaceChildren(h("div", { class: "card" }, h("h1", {}, "Could not load this page"), h("p", {}, e instanceof ApiFailure ? e.text : String(e))));
  }
}

async function background() {
  refresh.background = true;
  try { await refresh(); } finally { refresh.background = false; }
}

/* ------------------------------------------------------------------ live */

let soon = null;
function refreshSoon() { clearTimeout(soon); soon = setTimeout(background, 300); }

function setCounts(counts) {
  if (!counts) return;
  const open = counts.alerts && counts.alerts.active;
  if (open !== undefined) document.getElementById("open-alerts").textContent = open ? String(open) : "";
}

function startLive() {
  stopLive();
  if (document.hidden || !state.session) return;
  const source = new EventSource("/api/v1/events", { withCredentials: true });
  const live = document.getElementById("live-state");
  source.addEventListener("open", () => { live.textContent = "live"; live.classList.add("on"); });
  source.addEventListener("error", () => { live.textContent = "reconnecting"; live.classList.remove("on"); });
  source.addEventListener("alert", (ev) => {
    state.lastEventId = ev.lastEventId;
    const e = JSON.parse(ev.data);
    document.getElementById("main").dataset.lastAlertEvent = String(e.event_id);
    if (["overview", "alerts", "components"].includes(route().name)) refreshSoon();
  });
  source.addEventListener("health", () => { if (["overview", "components"].includes(route().name)) refreshSoon(); });
  source.addEventListener("counts", (ev) => {
    setCounts(JSON.parse(ev.data));
    if (route().name === "overview") refreshSoon();
  });
  state.source = source;
  state.timer = setInterval(background, REFRESH_MS);
}

function stopLive() {
  if (state.source) state.source.close();
  state.source = null;
  clearInterval(state.timer);
  const live = document.getElementById("live-state");
  live.textContent = "paused"; live.classList.remove("on");
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) stopLive();
  else if (state.session) { startLive(); background(); }
});

/* --------------------------------------------------------------- sign in */

function signedOut() {
  state.session = null;
  stopLive();
  dropCharts();
  document.getElementById("top").hidden = true;
  const main = document.getElementById("main");
  const failure = h("p", { role: "alert", class: "muted", id: "login-error" });
  const keyForm = h("form", { class: "form", "aria-label": "Sign in with an API key" },
    h("label", {}, "API key", h("input", { name: "key", type: "password", autocomplete: "off", required: true, placeholder: "pgv_…" })),
    h("button", { type: "submit" }, "Sign in with key"));
  const userForm = h("form", { class: "form", "aria-label": "Sign in with a user and password" },
    h("label", {}, "User", h("input", { name: "user", autocomplete: "username", required: true })),
    h("label", {}, "Password", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("button", { type: "submit" }, "Sign in"));
  const submit = (form, body) => form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      signedIn(await api("/session", { method: "POST", body: body(new FormData(form)) }));
    } catch (e) {
      failure.textContent = e instanceof ApiFailure ? e.text : String(e);
    } finally { button.disabled = false; }
  });
  submit(keyForm, (f) => ({ key: f.get("key").trim() }));
  submit(userForm, (f) => ({ user: f.get("user").trim(), password: f.get("password") }));
  main.dataset.page = "login";
  main.replaceChildren(h("div", { class: "login card" }, h("h1", {}, "Sign in to pgvigil"), failure,
    h("h2", {}, "With a user"), userForm, h("h2", {}, "Or with an API key"), keyForm,
    h("p", { class: "muted" }, "Keys: pgvigil keys create --role viewer --name NAME. Users: pgvigil users create.")));
}

function signedIn(session) {
  state.session = session;
  document.getElementById("top").hidden = false;
  document.getElementById("who").textContent = `${session.name} (${session.role})`;
  document.body.dataset.role = session.role;
  startLive();
  refresh();
}

document.getElementById("logout").addEventListener("click", async () => {
  try { await api("/session", { method: "DELETE" }); } catch (e) { /* signed out either way */ }
  signedOut();
});

window.addEventListener("hashchange", refresh);

(async () => {
  try { signedIn(await api("/session")); } catch (e) { signedOut(); }
})();
