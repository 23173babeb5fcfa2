/**
 * The inspector: one static HTML page (inline CSS and script, no build)
 * served at the control address. It draws the `state` and `tick` events
 * of `/api/v1/events`: nodes, clients, IPSCs, stubs, faults, message
 * rates and a bounded live list (newest first, emptied by a `reset`
 * event), and drives faults through the API; every
 * 2 s (while shown) it draws `GET /api/v1/clients/stats`, the traffic of
 * the newest 100 TCP client addresses. It redraws at most once per tick
 * and keeps at most 300 list entries, so it stays responsive at any
 * message rate. With a token, open it as
 * `/#token=TOKEN`: the page keeps the token in `sessionStorage` and takes
 * it out of the address bar.
 *
 * @module
 */

const CSS = `
*{box-sizing:border-box}body{font:13px/1.4 system-ui,sans-serif;margin:0;color:#1d232b;background:#f4f6f8}
header{display:flex;gap:16px;align-items:center;padding:8px 14px;background:#1d2b3a;color:#fff}
header h1{font-size:15px;margin:0}#conn{padding:2px 8px;border-radius:9px;background:#a33}#conn.live{background:#2a7a3b}
.rate{font-variant-numeric:tabular-nums}main{display:grid;grid-template-columns:minmax(420px,1fr) minmax(420px,1.2fr);gap:12px;padding:12px}
section{background:#fff;border:1px solid #d7dde3;border-radius:6px;padding:8px 10px}h2{font-size:13px;margin:0 0 6px;text-transform:uppercase;letter-spacing:.04em;color:#4a5868}
table{border-collapse:collapse;width:100%;table-layout:fixed}td,th{text-align:left;padding:3px 6px;border-bottom:1px solid #eef1f4;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
main>*{min-width:0}td:last-child,th:last-child{width:8.5em;overflow:visible}
button{font:inherit;padding:1px 8px;border:1px solid #9aa7b4;border-radius:4px;background:#fff;cursor:pointer}button:hover{background:#e8eef5}
button.danger{border-color:#c55;color:#a22}.down{color:#a22;font-weight:600}.up{color:#2a7a3b}
input,select{font:inherit;width:70px}#stream{list-style:none;margin:0;padding:0;max-height:520px;overflow:auto;font:12px/1.35 ui-monospace,monospace}
#stream li{padding:1px 4px;border-bottom:1px solid #f0f2f4;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
li.presence{color:#25579a}li.flow{color:#6b3fa0}li.err{color:#a22}li.sample{color:#56616d}
.row{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin:4px 0}#err{color:#a22;min-height:1em}
canvas{background:#243446;border-radius:3px}.wide{grid-column:1/-1}#traffic-more{text-transform:none;font-weight:400}
`;

const SCRIPT = `
const $ = (s) => document.querySelector(s);
// The token comes once in the fragment (/#token=T: never sent to the
// server), then lives in this tab's sessionStorage and leaves the address bar.
const token = (() => {
  // Not URLSearchParams: it would turn a "+" of the token into a space.
  const given = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (given) {
    let t = given[1];
    try { t = decodeURIComponent(t); } catch { /* not encoded: as given */ }
    sessionStorage.setItem("smartbus-control-token", t);
    window.history.replaceState(null, "", location.pathname);
  }
  return sessionStorage.getItem("smartbus-control-token");
})();
const A = "/api/v1";
const esc = (t) => String(t ?? "").replace(/[&<>"]/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c]));
// A text cell: cut with an ellipsis by the CSS, whole in its tooltip.
const cell = (t) => '<td title="' + esc(t) + '">' + esc(t) + "</td>";
const addr = (a) => a.unitId + ":" + a.clientId + (a.clientType === undefined ? "" : "/" + a.clientType);
// quiet: a background poll, which leaves the error line to user actions.
async function api(method, path, body, quiet) {
  const headers = {};
  if (token) headers.authorization = "Bearer " + token;
  if (body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(A + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  const v = text ? JSON.parse(text) : {};
  if (!r.ok) {
    if (!quiet) $("#err").textContent = v.error ? v.error.code + ": " + v.error.message : r.status;
    throw new Error(r.status);
  }
  if (!quiet) $("#err").textContent = "";
  return v;
}
window.api = api;
let state = null;
function render(s) {
  state = s;
  $("#nodes tbody").innerHTML = s.nodes.map((n) =>
    '<tr data-unit="' + n.unitId + '"><td>' + n.unitId + "</td><td>" + esc(n.host) + ":" + n.port +
    '</td><td class="' + (n.running ? "up" : "down") + '">' + (n.running ? "running" : "stopped") +
    "</td>" + cell(n.users.join(", ")) + '<td><button data-act="' + (n.running ? "stop" : "start") +
    '" data-unit="' + n.unitId + '">' + (n.running ? "Stop" : "Start") + "</button></td></tr>").join("");
  $("#clients tbody").innerHTML = s.clients.map((c) =>
    '<tr data-addr="' + c.address.unitId + ":" + c.address.clientId + '"><td>' + addr(c.address) + "</td><td>" +
    c.nodeUnitId + (c.standbyNodeUnitId === undefined ? "" : " (standby " + c.standbyNodeUnitId + ")") +
    "</td>" + cell(c.addInfo) + '<td><button data-act="kick" data-u="' + c.address.unitId +
    '" data-c="' + c.address.clientId + '">Kick</button> <button class="danger" data-act="cutc" data-u="' +
    c.address.unitId + '" data-c="' + c.address.clientId + '">Cut</button></td></tr>').join("") ||
    '<tr><td colspan="4">no client connected</td></tr>';
  const f = s.faults;
  const modes = {}; for (const i of f.ipscs) modes[i.unitId + ":" + i.processIndex] = i.mode;
  $("#ipscs tbody").innerHTML = s.ipscs.map((i) => {
    const k = i.unitId + ":" + i.processIndex, m = modes[k] || "normal";
    return "<tr><td>" + k + "</td><td>node " + i.node + '</td><td class="' + (i.connected ? "up" : "down") + '">' +
      (i.connected ? "connected" : "down") + '</td><td><select data-ipsc="' + k + '">' +
      ["normal","late","silent","mute","crashed"].map((o) => "<option" + (o === m ? " selected" : "") + ">" + o + "</option>").join("") +
      "</select></td></tr>"; }).join("");
  $("#faults").innerHTML = [
    ...f.cutLinks.map((l) => '<li>link ' + l[0] + "–" + l[1] + ' cut <button data-act="heallink" data-a="' + l[0] + '" data-b="' + l[1] + '">Heal</button></li>'),
    ...f.cutClients.map((c) => '<li>client ' + c.unitId + ":" + c.clientId + " cut" + (c.node === undefined ? "" : " off node " + c.node) +
      ' <button data-act="healc" data-u="' + c.unitId + '" data-c="' + c.clientId + '">Heal</button></li>'),
    ...f.rules.map((r) => "<li>" + r.type + " " + (r.type === "latency" ? r.baseMs + "±" + (r.jitterMs || 0) + " ms" : r.share * 100 + " %") +
      ' <button data-act="rmrule" data-id="' + esc(r.id) + '">Remove</button></li>'),
  ].join("") || "<li>none</li>";
  $("#stubs tbody").innerHTML = s.stubs.map((st) => "<tr>" + cell(st.id) + cell(st.project + "/" + st.flow) +
    cell(st.preview) + "<td>" + st.calls +
    '</td><td><button data-act="rmstub" data-id="' + esc(st.id) + '">Delete</button></td></tr>').join("") ||
    '<tr><td colspan="5">no stubs</td></tr>';
  const opts = s.nodes.map((n) => "<option>" + n.unitId + "</option>").join("");
  for (const sel of ["#la", "#lb"]) { const v = $(sel).value; $(sel).innerHTML = opts; if (v) $(sel).value = v; }
}
// What the bus saw of each TCP client: polled every 2 s while the tab shows.
const MAX_TRAFFIC_ROWS = 100;
const size = (n) => n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KiB" : (n / 1048576).toFixed(1) + " MiB";
const pair = (a, b) => "<td>" + a + " / " + b + "</td>";
function traffic(r) {
  const rows = r.clients.slice(-MAX_TRAFFIC_ROWS).reverse();
  $("#traffic tbody").innerHTML = rows.map((c) => {
    const f = c.flows;
    return '<tr data-addr="' + addr(c.address) + '"><td>' + addr(c.address) + '</td><td class="' + (c.connected ? "up" : "down") + '">' +
      (c.connected ? "node " + c.node : "left") + "</td>" + pair(c.data.sent.count, c.data.received.count) +
      pair(size(c.data.sent.bytes), size(c.data.received.bytes)) + pair(c.pings.sent.count, c.pings.received.count) +
      '<td class="flows">' + f.called + " / " + f.acknowledged + " / " + f.answered + "</td><td>" + f.refused +
      '</td><td class="' + (f.unanswered ? "down" : "") + '">' + f.unanswered + "</td><td>" + f.open + "</td></tr>"; }).join("") ||
    '<tr><td colspan="8">no TCP client yet</td></tr>';
  const hidden = r.clients.length - rows.length;
  $("#traffic-more").textContent = hidden > 0 ? hidden + " more not shown" : "";
}
function pollTraffic() {
  if (!document.hidden) api("GET", "/clients/stats", undefined, true).then(traffic).catch(() => {});
}
pollTraffic();
setInterval(pollTraffic, 2000);
const MAX_ITEMS = 300;
const history = [];
// An entry of the live list at bus time t (ms).
function line(t, cls, text) { const li = document.createElement("li"); li.className = cls; li.textContent = text; li.dataset.t = t; return li; }
// Newest first, whatever order entries come in: a call answered late is
// shown at its start, below what started after it.
function place(items) {
  items.sort((a, b) => b.dataset.t - a.dataset.t);
  const list = $("#stream");
  let at = list.firstElementChild;
  for (const li of items) {
    while (at && Number(at.dataset.t) > Number(li.dataset.t)) at = at.nextElementSibling;
    list.insertBefore(li, at);
  }
  while (list.childElementCount > MAX_ITEMS) list.lastElementChild.remove();
}
function tick(t) {
  for (const k of ["data", "ping", "flow", "notify"]) $("#r-" + k).textContent = t.perSecond[k];
  history.push(t.perSecond.data + t.perSecond.ping); if (history.length > 120) history.shift(); spark();
  if ($("#pause").checked) return;
  const items = [];
  const ms = (x) => x > 1e12 ? new Date(x).toISOString().slice(11, 23) : (x / 1000).toFixed(3);
  for (const e of t.presence) items.push(line(e.time, "presence", ms(e.time) + " " + e.event + " " + addr(e.address) +
    (e.node === undefined ? "" : " @node " + e.node) + (e.reason ? " (" + e.reason + ")" : "")));
  for (const c of t.flowCalls) items.push(line(c.startedAt, "flow" + (c.state === "errored" || c.state === "unanswered" ? " err" : ""),
    ms(c.startedAt) + " flow " + c.project + "/" + c.flow + " from " + addr(c.from) + " " + c.params + " → " + c.state +
    (c.result !== undefined ? " " + c.result : "") + (c.ack !== undefined && c.ack !== 1 ? " ack " + c.ack : "") + (c.ret !== undefined && c.ret !== 1 ? " ret " + c.ret : "")));
  if (t.flowCallsNotShown) items.push(line(t.time, "flow", "… " + t.flowCallsNotShown + " more flow calls"));
  const shown = $("#samples").checked ? t.samples : [];
  for (const m of shown) items.push(line(m.time, "sample", ms(m.time) + " " + m.kind + " " + addr(m.src) + " → " + addr(m.dst) + " " + m.size + " B " + m.text));
  const total = t.counts.data + t.counts.ping;
  if ($("#samples").checked && total > shown.filter((m) => m.kind === "data" || m.kind === "ping").length) {
    items.push(line(t.time, "sample", "… " + total + " messages this tick (sampled)"));
  }
  place(items);
}
function spark() {
  const c = $("#spark"), g = c.getContext("2d"), max = Math.max(1, ...history);
  g.clearRect(0, 0, c.width, c.height); g.strokeStyle = "#7fd1ff"; g.beginPath();
  history.forEach((v, i) => { const x = i * c.width / 120, y = c.height - v / max * (c.height - 2) - 1; i ? g.lineTo(x, y) : g.moveTo(x, y); });
  g.stroke();
}
document.addEventListener("click", (ev) => {
  const b = ev.target.closest("button[data-act]"); if (!b) return;
  const d = b.dataset, n = (x) => Number(x);
  const acts = {
    stop: () => api("POST", "/nodes/" + d.unit + "/stop"), start: () => api("POST", "/nodes/" + d.unit + "/start"),
    kick: () => api("POST", "/clients/kick", { unitId: n(d.u), clientId: n(d.c) }),
    cutc: () => api("POST", "/faults/clients/cut", { unitId: n(d.u), clientId: n(d.c) }),
    healc: () => api("POST", "/faults/clients/heal", { unitId: n(d.u), clientId: n(d.c) }),
    heallink: () => api("POST", "/faults/links/heal", { a: n(d.a), b: n(d.b) }),
    cutlink: () => api("POST", "/faults/links/cut", { a: n($("#la").value), b: n($("#lb").value) }),
    latency: () => api("POST", "/faults/latency", { baseMs: n($("#lat").value), jitterMs: n($("#jit").value) }),
    drops: () => api("POST", "/faults/drops", { share: n($("#share").value) / 100 }),
    rmrule: () => api("DELETE", "/faults/rules/" + encodeURIComponent(d.id)),
    rmstub: () => api("DELETE", "/stubs/" + encodeURIComponent(d.id)),
    healall: () => api("POST", "/faults/heal-all"), reset: () => api("POST", "/reset"),
    clear: () => { $("#stream").innerHTML = ""; },
  };
  acts[d.act]?.().catch(() => {});
});
document.addEventListener("change", (ev) => {
  const k = ev.target.dataset && ev.target.dataset.ipsc; if (!k) return;
  const [u, p] = k.split(":").map(Number);
  api("POST", "/faults/ipsc", { unitId: u, processIndex: p, mode: ev.target.value }).catch(() => {});
});
// EventSource cannot send a header: the stream alone takes the token in its query.
const es = new EventSource(A + "/events" + (token ? "?access_token=" + encodeURIComponent(token) : ""));
es.addEventListener("open", () => { $("#conn").textContent = "live"; $("#conn").className = "live"; });
es.addEventListener("error", () => { $("#conn").textContent = "reconnecting"; $("#conn").className = ""; });
es.addEventListener("state", (e) => render(JSON.parse(e.data)));
es.addEventListener("tick", (e) => tick(JSON.parse(e.data)));
// The bus went back to its start: what the list shows is gone from it.
es.addEventListener("reset", () => { $("#stream").innerHTML = ""; });
`;

/** The inspector page (HTML with inline CSS and script). */
export const INSPECTOR_HTML: string = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SmartBus mock inspector</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${CSS}</style></head>
<body><header><h1>SmartBus mock inspector</h1><span id="conn">connecting</span>
<span class="rate">data/s <b id="r-data">0</b> · ping/s <b id="r-ping">0</b> · flows/s <b id="r-flow">0</b> · notify/s <b id="r-notify">0</b></span>
<canvas id="spark" width="240" height="28"></canvas><span id="err" role="alert"></span></header>
<main><div>
<section><h2>Nodes</h2><table id="nodes"><thead><tr><th>unit</th><th>address</th><th>state</th><th>accounts</th><th></th></tr></thead><tbody></tbody></table>
<div class="row">link <select id="la"></select>–<select id="lb"></select><button data-act="cutlink" class="danger">Cut link</button></div></section>
<section><h2>Clients</h2><table id="clients"><thead><tr><th>address</th><th>node</th><th>add_info</th><th></th></tr></thead><tbody></tbody></table></section>
<section><h2>IPSCs</h2><table id="ipscs"><thead><tr><th>unit:process</th><th>node</th><th>state</th><th>flows</th></tr></thead><tbody></tbody></table></section>
<section><h2>Faults</h2><ul id="faults"></ul>
<div class="row">latency <input id="lat" type="number" value="50" min="0"> ms ± <input id="jit" type="number" value="0" min="0"><button data-act="latency">Add</button>
drop <input id="share" type="number" value="10" min="0" max="100"> %<button data-act="drops">Add</button></div>
<div class="row"><button data-act="healall">Heal all</button><button data-act="reset" class="danger">Reset bus</button></div></section>
<section><h2>Stubs</h2><table id="stubs"><thead><tr><th>id</th><th>flow</th><th>replies</th><th>calls</th><th></th></tr></thead><tbody></tbody></table></section>
</div><section><h2>Live</h2><div class="row"><label><input type="checkbox" id="pause"> pause</label>
<label><input type="checkbox" id="samples" checked> message samples</label><button data-act="clear">Clear</button></div>
<ul id="stream"></ul></section>
<section class="wide"><h2>Client traffic <span id="traffic-more"></span></h2><table id="traffic"><thead><tr><th>address</th><th>state</th>
<th title="data messages sent / received">data ↑/↓</th><th title="payload bytes sent / received">bytes ↑/↓</th><th title="pings sent / answers received">pings ↑/↓</th>
<th title="flows called / acknowledged / answered">flows ↑/ack/ans</th><th title="flows not started (ack other than 1)">refused</th>
<th title="flows with no result by the library's deadline">unanswered</th><th title="flows awaiting their result">open</th></tr></thead><tbody></tbody></table></section></main>
<script>${SCRIPT}</script></body></html>
`;
