// stockd live dashboard: plain JavaScript, no build step, no library.
//
// The API key lives in sessionStorage (this tab only) and goes out as
// `Authorization: Bearer …`. EventSource cannot send that header, so the
// live stream (GET /v1/stream) is read with fetch() and parsed here; after
// a drop it reconnects with Last-Event-ID (and backoff), missing nothing.
"use strict";

const KEY_ITEM = "stockd.dashboard.key";
const STATES = [
  "on_hand", "reserved", "committed", "damaged",
  "quality_control", "safety_stock", "incoming", "available",
];
const FEED_ROWS = 50;
const CHART_SECONDS = 60;
const BACKLOG = 30; // events shown in the feed at sign-in
const STALL_MS = 45000; // no byte for this long (3 heartbeats): reconnect
const OVERVIEW_EVERY_MS = 1000;

const $ = (id) => document.getElementById(id);
const number = new Intl.NumberFormat();
const clock = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});

// -- talking to stockd --------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

function key() {
  return sessionStorage.getItem(KEY_ITEM);
}

function api(path, options = {}) {
  // Relative to the page (/dashboard): "v1/…" is /v1/… under any prefix.
  const headers = { Accept: "application/json", Authorization: `Bearer ${options.key || key()}` };
  return fetch(path, { headers, signal: options.signal, cache: "no-store" });
}

async function getJson(path, options) {
  const r = await api(path, options);
  if (!r.ok) {
    let problem = null;
    try { problem = await r.json(); } catch (_) { /* not a problem document */ }
    const error = new ApiError(r.status, problem);
    if ((r.status === 401 || r.status === 403) && !options?.key) signOut(explain(error));
    throw error;
  }
  return r.json();
}

function explain(error) {
  if (error.status === 401) return `That key was not accepted: ${error.message}.`;
  if (error.status === 403) return `That key may not read: ${error.message}.`;
  return `stockd answered ${error.status}: ${error.message}`;
}

// -- small DOM helpers --------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "data") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function skuLink(sku) {
  return el("button", { type: "button", class: "link", data: { sku }, onclick: () => openSku(sku) }, sku);
}

function quantity(n) {
  return n < 0 ? `−${number.format(-n)}` : number.format(n);
}

// -- state --------------------------------------------------------------------

const view = {
  catalogue: [], // [{sku, name}], for the search box
  shown: null, // the SKU whose levels are on screen
  lastId: null, // the last stream message's id (a seq)
  stream: null, // AbortController of the open stream
  generation: 0, // bumped at each sign-in and sign-out: older loops stop
  timers: [],
  perSecond: new Map(), // epoch second -> events that arrived
  overviewAt: 0,
  overviewTimer: null,
  levelsTimer: null,
  catalogueTimer: null,
};

// -- sign in and out ----------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const candidate = $("key").value.trim();
  const message = $("sign-in-error");
  message.hidden = true;
  if (!candidate) return;
  try {
    await getJson("v1/overview?limit=1", { key: candidate });
  } catch (error) {
    message.textContent = error instanceof ApiError ? explain(error) : `stockd did not answer: ${error.message}`;
    message.hidden = false;
    return;
  }
  sessionStorage.setItem(KEY_ITEM, candidate);
  $("key").value = "";
  start();
}

function signOut(reason) {
  sessionStorage.removeItem(KEY_ITEM);
  view.generation += 1;
  if (view.stream) view.stream.abort();
  view.stream = null;
  view.timers.forEach(clearInterval);
  view.timers = [];
  view.shown = null;
  view.lastId = null;
  $("dashboard-view").hidden = true;
  $("sign-in-view").hidden = false;
  $("sign-out").hidden = true;
  setStatus("off", "signed out");
  $("heard").textContent = "";
  const message = $("sign-in-error");
  message.textContent = typeof reason === "string" ? reason : "";
  message.hidden = typeof reason !== "string";
}

async function start() {
  $("sign-in-view").hidden = true;
  $("dashboard-view").hidden = false;
  $("sign-out").hidden = false;
  view.perSecond.clear();
  $("feed-body").replaceChildren();
  $("feed-empty").hidden = false;
  try {
    const overview = await refreshOverview();
    await Promise.all([loadCatalogue(), loadBacklog(overview.ledger_head)]);
    view.lastId = overview.ledger_head;
  } catch (error) {
    if (!key()) return; // signed out by the failure
    setStatus("wait", "stockd unreachable");
    view.lastId = null;
  }
  view.timers.push(setInterval(drawChart, 1000));
  drawChart();
  follow();
}

// -- the overview: counts and stock alerts ------------------------------------

async function refreshOverview() {
  view.overviewAt = Date.now();
  const o = await getJson("v1/overview?low_stock_below=5&limit=12");
  $("count-skus").textContent = number.format(o.skus);
  $("count-locations").textContent = number.format(o.locations);
  $("count-holds").textContent = number.format(o.active_reservations);
  $("count-low").textContent = number.format(o.low_stock_count);
  $("count-out").textContent = number.format(o.out_of_stock_count);
  $("count-head").textContent = number.format(o.ledger_head);
  stockList($("out-list"), $("out-more"), o.out_of_stock, o.out_of_stock_count, "Nothing is out of stock.");
  stockList($("low-list"), $("low-more"), o.low_stock, o.low_stock_count, `Nothing below ${o.low_stock_below}.`);
  return o;
}

function stockList(list, more, items, count, none) {
  list.replaceChildren(
    ...(items.length
      ? items.map((s) => el("li", { title: s.name }, skuLink(s.sku), el("span", { class: "n" }, quantity(s.available))))
      : [el("li", { class: "none" }, none)]),
  );
  more.textContent = count > items.length ? `(${items.length} of ${number.format(count)})` : "";
}

// At most once a second, however many events arrive.
function overviewSoon() {
  if (view.overviewTimer) return;
  const wait = Math.max(0, view.overviewAt + OVERVIEW_EVERY_MS - Date.now());
  view.overviewTimer = setTimeout(() => {
    view.overviewTimer = null;
    refreshOverview().catch(() => {});
  }, wait);
}

// -- SKU search and levels ----------------------------------------------------

async function loadCatalogue() {
  // One page of up to 1,000 SKUs (the server may cap it lower); a code
  // beyond it is still found by an exact lookup.
  const page = await getJson("v1/skus?limit=1000");
  view.catalogue = page.items.map((s) => ({ sku: s.sku, name: s.name }));
}

function catalogueSoon() {
  clearTimeout(view.catalogueTimer);
  view.catalogueTimer = setTimeout(() => loadCatalogue().catch(() => {}), 1000);
}

function search() {
  const text = $("sku-search").value.trim().toLowerCase();
  const results = $("sku-results");
  if (!text) {
    results.hidden = true;
    return;
  }
  const found = view.catalogue
    .filter((s) => s.sku.toLowerCase().includes(text) || s.name.toLowerCase().includes(text))
    .sort((a, b) => (b.sku.toLowerCase().startsWith(text) - a.sku.toLowerCase().startsWith(text)) || a.sku.localeCompare(b.sku))
    .slice(0, 12);
  const exact = $("sku-search").value.trim();
  const items = found.map((s) =>
    el("li", { role: "option", data: { sku: s.sku }, onclick: () => choose(s.sku) },
      el("span", { class: "code" }, s.sku), el("span", { class: "muted" }, s.name)));
  if (!found.some((s) => s.sku === exact) && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(exact)) {
    items.push(el("li", { role: "option", data: { sku: exact }, onclick: () => choose(exact) },
      el("span", { class: "code" }, exact), el("span", { class: "muted" }, "open this exact code")));
  }
  results.replaceChildren(...items);
  results.hidden = items.length === 0;
}

function choose(sku) {
  $("sku-results").hidden = true;
  $("sku-search").value = sku;
  openSku(sku);
}

function openSku(sku) {
  view.shown = sku;
  $("levels-body").replaceChildren();
  $("levels-foot").replaceChildren();
  refreshLevels();
}

function levelsSoon() {
  clearTimeout(view.levelsTimer);
  view.levelsTimer = setTimeout(refreshLevels, 100);
}

async function refreshLevels() {
  const sku = view.shown;
  if (!sku) return;
  let doc;
  try {
    doc = await getJson(`v1/availability/${encodeURIComponent(sku)}`);
  } catch (error) {
    if (sku !== view.shown) return;
    $("levels-title").textContent = `Levels — ${sku}`;
    $("levels").hidden = true;
    $("levels-note").hidden = true;
    $("levels-hint").hidden = false;
    $("levels-hint").textContent = error.status === 404 ? `There is no SKU ${sku}.` : explainLoose(error);
    return;
  }
  if (sku !== view.shown) return; // another SKU was chosen meanwhile
  const known = view.catalogue.find((s) => s.sku === sku);
  $("levels-title").textContent = `Levels — ${sku}${known ? ` · ${known.name}` : ""}`;
  $("levels-hint").hidden = doc.locations.length > 0;
  $("levels-hint").textContent = "No stock recorded at any location yet.";
  $("levels").hidden = doc.locations.length === 0;
  const rows = doc.locations.map((loc) => {
    const usable = loc.active;
    const row = el("tr", { class: usable ? "" : "inactive", data: { location: loc.location } },
      el("td", { class: "text", title: loc.reason ? `nothing to hold here: ${loc.reason}` : "" },
        loc.location, loc.name && loc.name !== loc.location ? el("span", { class: "muted" }, loc.name) : "",
        usable ? "" : el("span", { class: "tag" }, "inactive")));
    for (const state of STATES) row.append(cell(loc[state], state, loc.location));
    return row;
  });
  swapRows($("levels-body"), rows);
  const total = el("tr", { data: { location: "total" } }, el("td", { class: "text" }, "Total"));
  for (const state of STATES) total.append(cell(doc[state], state, "total"));
  swapRows($("levels-foot"), [total]);
  const inactive = doc.locations.some((l) => !l.active);
  $("levels-note").hidden = !inactive;
  $("levels-note").textContent = "The available total counts active locations only.";
}

function explainLoose(error) {
  return error instanceof ApiError ? explain(error) : `stockd did not answer: ${error.message}`;
}

function cell(value, state, location) {
  const classes = [value === 0 ? "zero" : value < 0 ? "neg" : ""];
  if (state === "available" && value <= 0) classes.push("out");
  return el("td", { class: classes.join(" "), data: { state, location, value: String(value) } }, quantity(value));
}

// Replace the rows, flashing the cells whose value changed.
function swapRows(body, rows) {
  const before = new Map();
  for (const td of body.querySelectorAll("td[data-state]")) {
    before.set(`${td.dataset.location}/${td.dataset.state}`, td.dataset.value);
  }
  if (before.size) {
    for (const row of rows) {
      for (const td of row.querySelectorAll("td[data-state]")) {
        const old = before.get(`${td.dataset.location}/${td.dataset.state}`);
        if (old !== undefined && old !== td.dataset.value) td.classList.add("flash");
      }
    }
  }
  body.replaceChildren(...rows);
}

// -- the live stream ----------------------------------------------------------

async function loadBacklog(head) {
  const after = Math.max(0, head - BACKLOG);
  const page = await getJson(`v1/events?after=${after}&limit=${BACKLOG}`);
  for (const e of page.items) addToFeed(e, false);
}

async function follow() {
  const generation = ++view.generation;
  const current = () => key() && view.generation === generation;
  let delay = 1000;
  while (current()) {
    const controller = new AbortController();
    view.stream = controller;
    try {
      await readStream(controller, () => { delay = 1000; });
    } catch (error) {
      if (!current()) return;
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        signOut(explain(error));
        return;
      }
    }
    if (!current()) return;
    setStatus("wait", `reconnecting in ${Math.round(delay / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 30000);
  }
}

async function readStream(controller, connected) {
  const headers = { Accept: "text/event-stream", Authorization: `Bearer ${key()}` };
  const path = "v1/stream";
  if (view.lastId !== null) headers["Last-Event-ID"] = String(view.lastId);
  const r = await fetch(path, { headers, signal: controller.signal, cache: "no-store" });
  if (!r.ok) {
    let problem = null;
    try { problem = await r.json(); } catch (_) { /* not a problem document */ }
    throw new ApiError(r.status, problem);
  }
  connected();
  setStatus("live", "live");
  heard();
  if (view.lastId === null) refreshOverview().catch(() => {});
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let stall = setTimeout(() => controller.abort(), STALL_MS);
  const parser = sseParser(onMessage, heard);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      clearTimeout(stall);
      if (done) break;
      stall = setTimeout(() => controller.abort(), STALL_MS);
      parser(value);
    }
  } finally {
    clearTimeout(stall);
  }
}

// Server-Sent Events, as the HTML standard parses them: fields `id`,
// `event`, `data` (lines joined by "\n"), comments (":") ignored, a blank
// line dispatches. Chunks may split lines anywhere.
function sseParser(dispatch, comment) {
  let buffer = "";
  let message = { id: null, event: "message", data: [] };
  return (chunk) => {
    buffer += chunk;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop(); // an unfinished line waits for the next chunk
    for (const line of lines) {
      if (line === "") {
        if (message.data.length) dispatch(message);
        message = { id: null, event: "message", data: [] };
        continue;
      }
      if (line.startsWith(":")) {
        comment();
        continue;
      }
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "id") message.id = value;
      else if (field === "event") message.event = value;
      else if (field === "data") message.data.push(value);
    }
  };
}

function onMessage(message) {
  heard();
  if (message.id !== null && /^\d+$/.test(message.id)) view.lastId = Number(message.id);
  let event;
  try {
    event = JSON.parse(message.data.join("\n"));
  } catch (_) {
    return;
  }
  const second = Math.floor(Date.now() / 1000);
  view.perSecond.set(second, (view.perSecond.get(second) || 0) + 1);
  addToFeed(event, true);
  if (event.sku && event.sku === view.shown) levelsSoon();
  if (event.type.startsWith("sku.")) catalogueSoon();
  if (event.type.startsWith("location.") && view.shown) levelsSoon();
  overviewSoon();
}

function heard() {
  $("heard").textContent = `last heard ${clock.format(new Date())}`;
}

function setStatus(kind, text) {
  const pill = $("status");
  pill.className = `pill ${kind}`;
  pill.textContent = text;
}

// -- the feed -----------------------------------------------------------------

function change(e) {
  if (e.delta) {
    const parts = Object.entries(e.delta)
      .filter(([, n]) => n !== 0)
      .map(([state, n]) => el("span", { class: n > 0 ? "up" : "down" },
        `${state.replace("_", " ")} ${n > 0 ? "+" : "−"}${number.format(Math.abs(n))}`));
    const out = el("span", { class: "delta" });
    parts.forEach((p, i) => out.append(...(i ? [", ", p] : [p])));
    if (e.after) out.append(el("span", { class: "muted" }, ` → available ${quantity(e.after.available)}`));
    return out;
  }
  const d = e.data || {};
  if (d.status) return `${d.previous ? `${d.previous} → ` : ""}${d.status}`;
  if (d.changes) return `changed ${Object.keys(d.changes).join(", ")}`;
  if (e.order_id) return `order ${e.order_id}`;
  return e.reason || "";
}

function addToFeed(e, live) {
  const family = e.type.split(".")[0];
  const row = el("tr", { class: live ? "new" : "", data: { seq: String(e.seq), type: e.type } },
    el("td", { class: "text nowrap", title: e.at }, clock.format(new Date(e.at))),
    el("td", { class: "text nowrap", title: e.type }, el("span", { class: `type ${family}` }, e.type)),
    el("td", { class: "text" }, e.sku ? skuLink(e.sku) : "",
      e.location ? el("span", { class: "muted" }, e.location) : ""),
    el("td", { class: "text" }, change(e)));
  const body = $("feed-body");
  body.prepend(row);
  while (body.rows.length > FEED_ROWS) body.deleteRow(-1);
  $("feed-empty").hidden = true;
}

// -- the events-per-second chart ----------------------------------------------

function drawChart() {
  const canvas = $("rate-chart");
  const now = Math.floor(Date.now() / 1000);
  for (const second of view.perSecond.keys()) if (second <= now - CHART_SECONDS) view.perSecond.delete(second);
  const counts = [];
  for (let s = now - CHART_SECONDS + 1; s <= now; s++) counts.push(view.perSecond.get(s) || 0);
  const recent = counts.slice(-10).reduce((a, b) => a + b, 0) / 10;
  $("count-rate").textContent = recent >= 10 ? number.format(Math.round(recent)) : recent.toFixed(1);

  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 560;
  const height = canvas.clientHeight || 150;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const left = 34, bottom = 18, top = 8;
  const plotW = width - left - 6, plotH = height - top - bottom;
  const peak = Math.max(...counts);
  const scale = niceCeiling(Math.max(peak, 4));
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = "#6b7785";
  g.strokeStyle = "#dde3ea";
  g.lineWidth = 1;
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH - f * plotH + 0.5;
    g.beginPath(); g.moveTo(left, y); g.lineTo(left + plotW, y); g.stroke();
    g.textAlign = "right"; g.textBaseline = "middle";
    g.fillText(number.format(Math.round(scale * f)), left - 5, y);
  }
  g.textBaseline = "alphabetic";
  g.textAlign = "left"; g.fillText("60 s ago", left, height - 4);
  g.textAlign = "right"; g.fillText("now", left + plotW, height - 4);
  const bar = plotW / CHART_SECONDS;
  g.fillStyle = "#1f6feb";
  counts.forEach((n, i) => {
    if (!n) return;
    const h = Math.max(1, (n / scale) * plotH);
    g.fillRect(left + i * bar + 1, top + plotH - h, Math.max(1, bar - 2), h);
  });
}

function niceCeiling(n) {
  const step = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * step >= n) return m * step;
  return 10 * step;
}

// -- wiring -------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut());
  $("sku-search").addEventListener("input", search);
  $("sku-search").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      const first = $("sku-results").querySelector("li");
      if (first) choose(first.dataset.sku);
    } else if (e.key === "Escape") {
      $("sku-results").hidden = true;
    }
  });
  document.addEventListener("click", (e) => {
    if (!e.target.closest(".search")) $("sku-results").hidden = true;
  });
  if (key()) start();
  else signOut();
});
