// The inspector page: reads the control plane's JSON endpoints and acts only through them.
// No provider words here: table columns come from the rows the server sends.
const BASE = "/_emulator";
const POLL_MS = 1000;          // live journal: poll journal/rows?since=
const JOURNAL_KEEP = 500;      // rows kept on the page
const PAGE = 50;

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) n.setAttribute(k, v === true ? "" : v);
  }
  n.append(...kids.filter((k) => k !== null && k !== undefined));
  return n;
};

const state = {
  token: sessionStorage.getItem("imemu-token") || "",
  tenant: null,          // {provider, tenant, counts}
  kind: null, offset: 0,
  group: null, memberOffset: 0,
  lastSeq: 0, seen: 0, filters: {}, entry: null, rowsReq: 0, membersReq: 0,
  conversation: null, asUser: "", messagesReq: 0,
  callbacks: false, cbSince: 0, cbFilters: {}, cbRows: new Map(), configs: [],
};

class NeedToken extends Error {}

async function api(path, { method = "GET", body, text = false } = {}) {
  const headers = {};
  if (state.token) headers["X-Emulator-Token"] = state.token;
  if (body !== undefined && typeof body !== "string") { body = JSON.stringify(body); headers["Content-Type"] = "application/json"; }
  const resp = await fetch(BASE + path, { method, headers, body });
  if (resp.status === 401) { askToken(); throw new NeedToken("admin token needed"); }
  if (text) return resp.text();
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(data.error ? `${data.error}${data.details ? ": " + JSON.stringify(data.details) : ""}` : `HTTP ${resp.status}`);
  return data;
}

function say(msg) { $("#status").textContent = msg; }

function askToken() {
  const form = $("#token-form");
  if (form.hidden) { form.hidden = false; $("#token-input").focus(); }
  say("Admin token needed");
}

const qs = (o) => new URLSearchParams(Object.entries(o).filter(([, v]) => v !== "" && v !== null && v !== undefined)).toString();

function show(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

// A table whose columns are the keys of the rows; the key column's cells can be buttons.
function rowsTable(rows, { key, onOpen, caption, label, links = {}, rowClass, hide = [] }) {
  if (!rows.length) return el("p", { class: "note" }, "No rows.");
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => !hide.includes(c));
  const head = el("tr", {}, ...cols.map((c) => el("th", { scope: "col" }, c)));
  const body = rows.map((r) => el("tr", { "data-key": key ? r[key] : null, class: rowClass ? rowClass(r) : null }, ...cols.map((c) => {
    if (c === key && onOpen) return el("td", {}, el("button", { class: "link", type: "button",
      "aria-label": `${label} ${r[c]}`, onclick: () => onOpen(r[c]) }, show(r[c])));
    if (links[c] && r[c]) return el("td", {}, el("button", { class: "link", type: "button",
      "aria-label": `${links[c].label} ${r[c]}`, onclick: () => links[c].open(r[c]) }, show(r[c])));
    return el("td", { class: typeof r[c] === "object" ? "wrap" : null }, show(r[c]));
  })));
  return el("div", { class: "scroll" }, el("table", {}, el("caption", {}, caption), el("thead", {}, head), el("tbody", {}, ...body)));
}

function pager(page, go) {
  const end = Math.min(page.offset + page.rows.length, page.total);
  return el("div", { class: "pager" },
    el("button", { type: "button", disabled: page.offset === 0, onclick: () => go(Math.max(0, page.offset - page.limit)) }, "Previous"),
    el("span", {}, page.total ? `${page.offset + 1}–${end} of ${page.total}` : "0 rows"),
    el("button", { type: "button", disabled: end >= page.total, onclick: () => go(page.offset + page.limit) }, "Next"));
}

// --- tenants ------------------------------------------------------------------------------
async function loadTenants() {
  const data = await api("/tenants");
  const list = $("#tenant-list");
  const scope = $("#reset-scope");
  scope.replaceChildren(el("option", { value: "" }, "everything"));
  const parts = [];
  for (const [provider, tenants] of Object.entries(data.providers)) {
    scope.append(el("option", { value: provider }, `provider ${provider}`));
    const rows = tenants.map((t) => {
      scope.append(el("option", { value: `${provider}/${t.tenant}` }, `tenant ${provider}/${t.tenant}`));
      const current = state.tenant && state.tenant.provider === provider && state.tenant.tenant === t.tenant;
      if (current) state.tenant = { provider, ...t };
      return el("tr", { class: current ? "selected" : null, "data-tenant": `${provider}/${t.tenant}` },
        el("td", {}, el("button", { class: "link", type: "button", "aria-label": `Open ${provider} tenant ${t.tenant}`,
          onclick: () => openTenant({ provider, ...t }) }, t.tenant)),
        el("td", { class: "wrap" }, Object.entries(t.counts).map(([k, n]) => `${n} ${k}`).join(", ")));
    });
    parts.push(el("h3", {}, provider), rows.length
      ? el("table", {}, el("caption", {}, `${provider} tenants`),
          el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Tenant"), el("th", { scope: "col" }, "Holds"))),
          el("tbody", {}, ...rows))
      : el("p", { class: "note" }, "No tenants."));
  }
  list.replaceChildren(...parts);
  if (state.tenant && !data.providers[state.tenant.provider]?.some((t) => t.tenant === state.tenant.tenant)) {
    state.tenant = null; $("#tenant-detail").hidden = true;
  }
  return data;
}

// Signing secrets in a callback configuration are shown as the journal shows secrets.
const SECRET_KEYS = new Set(["token", "secret"]);
const masked = (v) => (Array.isArray(v) ? v.map(masked) : v && typeof v === "object"
  ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEYS.has(k.toLowerCase()) && x ? "***" : masked(x)])) : v);

async function openTenant(t) {
  const changed = !state.tenant || state.tenant.provider !== t.provider || state.tenant.tenant !== t.tenant;
  state.tenant = t;
  if (changed) { state.kind = Object.keys(t.counts).includes("groups") ? "groups" : Object.keys(t.counts)[0]; state.offset = 0; state.group = null; state.conversation = null; }
  const cb = state.configs.find((c) => c.provider === t.provider && String(c.tenant) === t.tenant);
  if (cb) t = { ...t, settings: { ...t.settings, callbacks: masked(cb) } };
  $("#tenant-detail").hidden = false;
  $("#tenant-h").textContent = `${t.provider} / ${t.tenant}`;
  $("#tenant-settings").replaceChildren(...Object.entries(t.settings).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, show(v))]));
  $("#kind-buttons").replaceChildren(...Object.keys(t.counts).map((k) => el("button", { type: "button",
    "aria-pressed": String(k === state.kind), onclick: () => { state.kind = k; state.offset = 0; openTenant(state.tenant); } },
    `${k} (${t.counts[k]})`)));
  $("#presence-form").hidden = !t.presence;
  $("#platform-names").replaceChildren(...(t.platforms || []).map((p) => el("option", { value: p })));
  document.querySelectorAll("#tenant-list tr").forEach((tr) => tr.classList.toggle("selected", tr.dataset.tenant === `${t.provider}/${t.tenant}`));
  await loadRows();
  if (state.group) await loadMembers(); else $("#members-view").hidden = true;
  if (state.conversation) await loadMessages(); else $("#conversation-view").hidden = true;
}

// A conversation's messages, newest last: the last page unless the reader paged back.
async function loadMessages(offset = null) {
  const t = state.tenant;
  const base = { provider: t.provider, tenant: t.tenant, conversation: state.conversation, user: state.asUser };
  const my = ++state.messagesReq;
  const head = await api(`/messages?${qs({ ...base, offset: 0, limit: 1 })}`);
  const start = offset ?? Math.max(0, head.total - PAGE);
  const page = await api(`/messages?${qs({ ...base, offset: start, limit: PAGE })}`);
  if (my !== state.messagesReq) return;
  const rows = page.messages.map((m) => ({ mark: m.deleted ? "deleted" : m.recalled ? "recalled" : "", ...m }));
  $("#conversation-view").hidden = false;
  const h = $("#conversation-h");
  h.tabIndex = -1;
  h.textContent = `Conversation ${state.conversation} (${page.total} messages${state.asUser ? `, as ${state.asUser} sees it` : ""})`;
  $("#messages-table").replaceChildren(
    rowsTable(rows, { key: "seq", caption: "messages, newest last", hide: ["provider", "tenant", "conversation"],
      rowClass: (r) => r.mark || null }),
    pager({ offset: start, total: page.total, limit: PAGE, rows }, (o) => loadMessages(o)));
}

async function loadRows() {
  const t = state.tenant;
  if (!t || !state.kind) { $("#rows-view").replaceChildren(el("p", { class: "note" }, "This tenant keeps no rows to show.")); return; }
  const my = ++state.rowsReq;   // a slower, older answer must not overwrite a newer view
  const page = await api(`/${state.kind}?${qs({ provider: t.provider, tenant: t.tenant, offset: state.offset, limit: PAGE })}`);
  if (my !== state.rowsReq) return;
  const openConv = (c) => { state.conversation = c; state.asUser = ""; $("#as-user-form").elements.user.value = ""; loadMessages().then(() => $("#conversation-h").focus()); };
  const opener = state.kind === "groups" ? (g) => { state.group = g; state.memberOffset = 0; loadMembers().then(() => $("#members-h").focus()); }
    : state.kind === "conversations" ? openConv : null;
  $("#rows-view").replaceChildren(
    rowsTable(page.rows, { key: page.key, onOpen: opener, caption: `${state.kind} of ${t.tenant}`,
      label: state.kind === "groups" ? "Members of" : "Messages of", links: { conversation: { label: "Messages of", open: openConv } } }),
    pager(page, (o) => { state.offset = o; loadRows(); }));
}

async function loadMembers() {
  const t = state.tenant;
  let page;
  const my = ++state.membersReq;
  try {
    page = await api(`/members?${qs({ provider: t.provider, tenant: t.tenant, group: state.group, offset: state.memberOffset, limit: PAGE })}`);
  } catch (e) {
    if (e instanceof NeedToken) throw e;
    state.group = null; $("#members-view").hidden = true; return;   // the group is gone
  }
  if (my !== state.membersReq) return;
  $("#members-view").hidden = false;
  const h = $("#members-h");
  h.textContent = `Members of ${state.group} (${page.total})`;
  h.tabIndex = -1;
  $("#members-table").replaceChildren(rowsTable(page.rows, { key: page.key, caption: `members of ${state.group}` }),
    pager(page, (o) => { state.memberOffset = o; loadMembers(); }));
}

// --- journal ------------------------------------------------------------------------------
const fmtTime = (s) => { const d = new Date(s * 1000); return d.toISOString().replace("T", " ").slice(0, 23); };

function journalRow(r) {
  return el("tr", { class: r.error ? "error" : null, "data-seq": r.seq, "data-api": r.api },
    el("td", {}, el("button", { class: "link", type: "button", "aria-label": `Show request ${r.seq}`, onclick: () => openEntry(r.seq) }, String(r.seq))),
    el("td", {}, fmtTime(r.time)), el("td", {}, r.provider), el("td", {}, show(r.tenant)),
    el("td", {}, r.api), el("td", {}, String(r.status)), el("td", {}, show(r.code)), el("td", {}, r.duration_ms.toFixed(2)));
}

async function pollJournal(reset = false) {
  const tbody = $("#journal-table tbody");
  if (reset) { tbody.replaceChildren(); state.lastSeq = 0; }
  const data = await api(`/journal/rows?${qs({ ...state.filters, since: state.lastSeq, limit: reset ? 200 : 1000 })}`);
  for (const r of data.rows) tbody.prepend(journalRow(r));
  while (tbody.rows.length > JOURNAL_KEEP) tbody.lastElementChild.remove();
  $("#journal-count").textContent = tbody.rows.length;
  const moved = data.last_seq !== state.seen;
  state.lastSeq = data.last_seq; state.seen = data.last_seq;
  return moved;
}

async function openEntry(seq) {
  const e = await api(`/journal/${seq}`);
  state.entry = seq;
  $("#entry-h").textContent = `#${e.seq} ${e.method} ${e.path} → ${e.response.status}${e.code !== null && e.code !== undefined ? ` (code ${e.code})` : ""}`;
  $("#entry-request").textContent = JSON.stringify({ query: e.query, ...e.request }, null, 2);
  $("#entry-response").textContent = JSON.stringify(e.response, null, 2);
  const box = $("#entry-detail");
  box.hidden = false; box.focus();
  document.querySelectorAll("#journal-table tr").forEach((tr) => tr.classList.toggle("selected", tr.dataset.seq === String(seq)));
}

// --- callback deliveries (when the emulator has GET /_emulator/callbacks) -----------------
// A delivery is recorded when it starts and settled later, so the poll starts from the oldest
// one still unsettled and rows are replaced by id.
async function pollCallbacks(reset = false) {
  if (!state.callbacks) return;
  if (reset) { state.cbRows.clear(); state.cbSince = 0; }
  const data = await api(`/callbacks?${qs({ ...state.cbFilters, since: state.cbSince })}`);
  for (const d of data.deliveries) state.cbRows.set(d.id, d);
  const ids = [...state.cbRows.keys()].sort((a, b) => a - b);
  while (ids.length > JOURNAL_KEEP) state.cbRows.delete(ids.shift());
  const open = ids.filter((id) => state.cbRows.get(id).outcome === null);
  state.cbSince = open.length ? open[0] - 1 : (ids.length ? ids[ids.length - 1] : state.cbSince);
  const rows = ids.reverse().map((id) => {
    const d = state.cbRows.get(id);
    return Object.fromEntries(Object.entries(d).filter(([, v]) => v === null || typeof v !== "object"));
  });
  $("#callback-table").replaceChildren(rowsTable(rows, { key: "id", caption: "deliveries, newest first",
    onOpen: openDelivery, label: "Show delivery", rowClass: (r) => (r.outcome && r.outcome !== "delivered" ? "error" : null) }));
}

function openDelivery(id) {
  const d = state.cbRows.get(id);
  $("#delivery-h").textContent = `Delivery ${id}: ${d.provider} ${d.command} → ${d.outcome ?? "pending"}`;
  $("#delivery-json").textContent = JSON.stringify(d, null, 2);
  const box = $("#delivery-detail");
  box.hidden = false; box.focus();
}

async function detectCallbacks() {
  try {
    const [, cfg] = await Promise.all([api("/callbacks?limit=1"), api("/callbacks/config")]);
    state.callbacks = true;
    state.configs = cfg.configs || [];
  } catch (e) {
    if (e instanceof NeedToken) throw e;
    state.callbacks = false;    // this emulator has no callbacks: no view for them
  }
  $("#callbacks").hidden = $("#callbacks-link").hidden = !state.callbacks;
}

// --- controls -----------------------------------------------------------------------------
async function loadFaults() {
  const { faults } = await api("/faults");
  $("#fault-list").replaceChildren(faults.length ? el("ul", {}, ...faults.map((f) => el("li", {},
    `#${f.id} ${f.provider} ${f.api}${f.tenant ? " @" + f.tenant : ""} → ${f.error ?? ""} ${f.http_status ?? ""} (fired ${f.fired ?? 0}/${f.times || "∞"}) `,
    el("button", { type: "button", onclick: () => act(() => api(`/faults/${f.id}`, { method: "DELETE" }), `fault ${f.id} cleared`) }, "Clear")))) :
    el("p", { class: "note" }, "No faults."));
}

async function loadClock() {
  const c = await api("/clock");
  $("#clock-now").textContent = `Now ${fmtTime(c.now)} (${c.mode === "frozen" ? "frozen" : c.mode === "offset" ? `real ${c.offset_s >= 0 ? "+" : "−"} ${Math.abs(c.offset_s)}s` : "real time"})`;
}

async function act(fn, done) {
  try { await fn(); say(done); await refresh(true); } catch (e) { if (!(e instanceof NeedToken)) say(`Failed: ${e.message}`); }
}

function formData(form) { return Object.fromEntries(new FormData(form).entries()); }

// Escape closes a detail panel and returns focus to the row that opened it.
function closable(box, back) {
  box.addEventListener("keydown", (ev) => {
    if (ev.key !== "Escape") return;
    box.hidden = true;
    back()?.focus();
  });
}

function wire() {
  closable($("#entry-detail"), () => $(`#journal-table tr[data-seq="${state.entry}"] button`));
  $("#token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.token = $("#token-input").value;
    sessionStorage.setItem("imemu-token", state.token);
    $("#token-form").hidden = true;
    start();
  });
  $("#journal-filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = formData(ev.target); delete f.live;
    state.filters = f;
    pollJournal(true).catch(() => {});
  });
  $("#journal-filters").addEventListener("reset", () => { state.filters = {}; setTimeout(() => pollJournal(true).catch(() => {})); });
  $("#callback-filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.cbFilters = formData(ev.target);
    pollCallbacks(true).catch(() => {});
  });
  $("#callback-filters").addEventListener("reset", () => { state.cbFilters = {}; setTimeout(() => pollCallbacks(true).catch(() => {})); });
  $("#as-user-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.asUser = formData(ev.target).user.trim();
    loadMessages().catch(() => {});
  });
  $("#reset-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const [provider, tenant] = $("#reset-scope").value.split("/");
    act(() => api(`/reset?${qs({ provider, tenant })}`, { method: "POST" }), `reset ${$("#reset-scope").value || "everything"}`);
  });
  $("#scenario-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = formData(ev.target);
    act(async () => {
      const text = f.text.trim() ? f.text : await api(`/scenarios/${encodeURIComponent(f.name)}`, { text: true });
      await api(`/scenario?mode=${f.mode}`, { method: "POST", body: text });
    }, `scenario ${f.text.trim() ? "(pasted)" : f.name} loaded (${f.mode})`);
  });
  $("#fault-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = formData(ev.target);
    const spec = { provider: f.provider, api: f.api, times: Number(f.times || 1) };
    if (f.tenant) spec.tenant = f.tenant;
    if (f.error) spec.error = Number(f.error);
    if (f.http_status) spec.http_status = Number(f.http_status);
    act(() => api("/faults", { method: "POST", body: spec }), `fault on ${f.provider} ${f.api} added`);
  });
  $("#presence-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = formData(ev.target);
    const online = ev.submitter?.value === "1";
    const body = { provider: state.tenant.provider, tenant: state.tenant.tenant, user: f.user, online };
    if (f.platform) body.platform = f.platform;
    act(() => api("/presence", { method: "POST", body }), `${f.user} ${online ? "online" : "offline"}`);
  });
  $("#faults-clear").addEventListener("click", () => act(() => api("/faults", { method: "DELETE" }), "faults cleared"));
  $("#clock-freeze").addEventListener("click", () => act(() => api("/clock", { method: "POST", body: { freeze_at: Date.now() / 1000 } }), "clock frozen"));
  $("#clock-real").addEventListener("click", () => act(() => api("/clock", { method: "POST", body: { real: true } }), "clock on real time"));
  $("#clock-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const s = Number(formData(ev.target).advance);
    act(() => api("/clock", { method: "POST", body: { advance_s: s } }), `clock advanced ${s}s`);
  });
}

// Everything the page shows, re-read; the journal is read from where it left off.
async function refresh(all = false) {
  const moved = await pollJournal();
  await pollCallbacks();
  if (moved || all) {
    if (state.callbacks) state.configs = (await api("/callbacks/config")).configs || [];
    await loadTenants();
    if (state.tenant) await openTenant(state.tenant);
    await Promise.all([loadFaults(), loadClock()]);
  }
}

let timer = null;
async function tick() {
  try {
    if (!document.hidden && $("#journal-filters").elements.live.checked) await refresh();
  } catch (e) {
    if (!(e instanceof NeedToken)) say(`Cannot reach the emulator: ${e.message}`);
  }
  timer = setTimeout(tick, POLL_MS);
}

async function start() {
  clearTimeout(timer);
  try {
    const health = await api("/health");
    await detectCallbacks();
    const [scen] = await Promise.all([api("/scenarios"), pollJournal(true), loadTenants(), loadFaults(), loadClock(), pollCallbacks(true)]);
    $("#scenario-name").replaceChildren(...scen.scenarios.map((n) => el("option", { value: n }, n)));
    for (const sel of [$("#journal-filters select[name=provider]"), $("#fault-form select[name=provider]"), $("#callback-filters select[name=provider]")]) {
      const first = sel.firstElementChild?.value === "" ? [sel.firstElementChild] : [];
      sel.replaceChildren(...first, ...health.providers.map((p) => el("option", { value: p }, p)));
    }
    api("/apis").then((apis) => {   // names for the journal filter and the fault form
      const names = [...new Set(Object.values(apis).flat().map((a) => a.api))].sort();
      $("#api-names").replaceChildren(el("option", { value: "not_found" }), ...names.map((n) => el("option", { value: n })));
    }).catch(() => {});
    say(`Connected: im-emulator ${health.version}, live`);
    document.body.dataset.ready = "1";
  } catch (e) {
    if (!(e instanceof NeedToken)) say(`Cannot reach the emulator: ${e.message}`);
    return;
  }
  timer = setTimeout(tick, POLL_MS);
}

wire();
start();
