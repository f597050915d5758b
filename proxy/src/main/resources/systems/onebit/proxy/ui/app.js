'use strict';
// The 1bit status page: reads the stack's state (/api/v1/status, what `1bit status` shows; /health where the proxy has
// none), /running and /metrics every two seconds, and the proxy's access log live.
// No framework, nothing fetched from elsewhere; every value is put in the page as text, never as HTML.

const state = { key: sessionStorage.getItem('1bit-key') || '', history: new Map(), logs: [], streaming: false,
  statusAvailable: false };
const $ = (id) => document.getElementById(id);

class NeedKey extends Error {}

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (state.key) h.Authorization = 'Bearer ' + state.key;
  return h;
}

async function get(path, asText) {
  const r = await fetch(path, { headers: headers(), cache: 'no-store' });
  if (r.status === 401) throw new NeedKey();
  if (!r.ok) throw new Error(path + ' answered ' + r.status);
  return asText ? r.text() : r.json();
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v;
    else if (k === 'width') node.style.width = v;  // through CSSOM: the page's CSP allows no inline style attribute
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

const gib = (b) => (b / 1073741824).toFixed(2) + ' GiB';

function sparkline(values) {
  const w = 120, h = 22, max = Math.max(1, ...values);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'spark'); svg.setAttribute('width', w); svg.setAttribute('height', h);
  const points = values.map((v, i) => (i * w / Math.max(1, values.length - 1)).toFixed(1) + ',' + (h - 1 - v * (h - 2) / max).toFixed(1));
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', points.join(' ')); line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#2563eb');
  svg.append(line);
  return svg;
}

// Prometheus text: {metric: [{labels, value}]}.
function parseMetrics(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{([^}]*)\})? ([0-9.eE+-]+|NaN)$/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const part of (m[3] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[part[1]] = part[2];
    (out[m[1]] = out[m[1]] || []).push({ labels, value: Number(m[4]) });
  }
  return out;
}

function byModel(metrics, name) {
  const sums = new Map();
  for (const s of metrics[name] || []) {
    const model = s.labels.model || '-';
    sums.set(model, (sums.get(model) || 0) + s.value);
  }
  return sums;
}

// The same rows, states and overall verdict as `1bit status`.
function renderStatus(status) {
  fill($('components').tBodies[0], status.components.map((c) => el('tr', { 'data-component': c.name },
    el('td', {}, c.name + (c.kind === 'model' ? ' (on demand)' : '')), el('td', {}, c.endpoint),
    el('td', { class: c.health === 'healthy' ? 'good' : c.counts ? 'bad' : 'faint' }, c.health),
    el('td', {}, c.state, ...actions(c)),
    el('td', {}, c.models === null ? '-' : c.models))));
  $('overall').textContent = status.state;
  $('overall').className = 'badge ' + (status.state === 'healthy' ? 'good' : 'bad');
}

// A component's buttons: Load for an on-demand model that is not loaded, Restart for a toolbox container.
function actions(c) {
  if (c.kind === 'model' && c.state.startsWith('not loaded')) {
    return [' ', el('button', { type: 'button', class: 'load', onclick: () => load(c.name) }, 'Load')];
  }
  if (c.kind === 'toolbox') {
    return [' ', el('button', { type: 'button', class: 'restart', onclick: () => restart(c.name) }, 'Restart')];
  }
  return [];
}

function renderStack(health, running) {
  const rows = health.backends.map((b) => el('tr', { 'data-component': b.name },
    el('td', {}, b.name), el('td', {}, b.url),
    el('td', { class: b.healthy ? 'good' : 'bad' }, b.healthy ? 'healthy' : (b.error || 'down')),
    el('td', {}, b.slots ? b.slots + ' slots' : '-'), el('td', {}, (b.models || []).length)));
  for (const m of running.running) {
    rows.push(el('tr', { 'data-component': m.model }, el('td', {}, m.model + ' (on demand)'), el('td', {}, m.url || '-'),
      el('td', { class: m.state === 'ready' ? 'good' : 'faint' }, m.state === 'ready' ? 'healthy' : m.state),
      el('td', {}, m.state), el('td', {}, 1)));
  }
  fill($('components').tBodies[0], rows);
  const healthy = health.backends.every((b) => b.healthy);
  $('overall').textContent = healthy ? 'healthy' : 'degraded';
  $('overall').className = 'badge ' + (healthy ? 'good' : 'bad');
}

function renderModels(running) {
  $('budget').textContent = 'GPU memory budget ' + gib(running.budgetBytes) + ', in use ' + gib(running.usedBytes)
    + ' · loads ' + running.loads + ' · evictions ' + running.evictions;
  fill($('models').tBodies[0], running.running.map((m) => el('tr', { 'data-model': m.model },
    el('td', {}, m.model), el('td', {}, m.state),
    el('td', {}, el('span', { class: 'bar', title: gib(m.memoryBytes) },
      el('span', { width: Math.min(100, 100 * m.memoryBytes / Math.max(1, running.budgetBytes)).toFixed(1) + '%' })),
      ' ' + gib(m.memoryBytes)),
    el('td', {}, Math.round(m.idleSeconds) + ' s'), el('td', {}, m.inFlight),
    el('td', {}, el('button', { type: 'button', class: 'unload', onclick: () => unload(m.model) }, 'Unload')))));
}

function renderTraffic(metrics) {
  const requests = byModel(metrics, 'onebit_proxy_requests_total');
  const errors = byModel(metrics, 'onebit_proxy_errors_total');
  const latSum = byModel(metrics, 'onebit_proxy_request_seconds_sum'), latCount = byModel(metrics, 'onebit_proxy_request_seconds_count');
  const fbSum = byModel(metrics, 'onebit_proxy_first_byte_seconds_sum'), fbCount = byModel(metrics, 'onebit_proxy_first_byte_seconds_count');
  const tps = byModel(metrics, 'onebit_proxy_tokens_per_second');
  const rows = [];
  for (const [model, total] of requests) {
    const h = state.history.get(model) || [];
    h.push(total);
    if (h.length > 60) h.shift();
    state.history.set(model, h);
    const deltas = h.slice(1).map((v, i) => v - h[i]);
    const ms = (s, c) => (c ? (1000 * s / c).toFixed(1) + ' ms' : '-');
    rows.push(el('tr', { 'data-model': model }, el('td', {}, model), el('td', {}, sparkline(deltas.length ? deltas : [0])),
      el('td', {}, total), el('td', {}, errors.get(model) || 0), el('td', {}, ms(latSum.get(model), latCount.get(model))),
      el('td', {}, ms(fbSum.get(model), fbCount.get(model))), el('td', {}, tps.has(model) ? tps.get(model).toFixed(1) : '-')));
  }
  fill($('traffic').tBodies[0], rows);
}

async function unload(model) {
  if (!confirm('Unload ' + model + '? Its container stops; the next request loads it again.')) return;
  const r = await fetch('/unload', { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
    body: JSON.stringify({ model }) });
  if (!r.ok) alert('unload failed: ' + r.status);
  refresh();
}

// Lemonade's load, as GAIA calls it: the model's container starts and the call returns once it answers.
async function load(model) {
  if (!confirm('Load ' + model + '? It takes its share of the GPU memory budget (others may be unloaded for it).')) return;
  const r = await fetch('/api/v1/load', { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
    body: JSON.stringify({ model_name: model }) });
  if (!r.ok) alert('load failed: ' + r.status);
  refresh();
}

// Podman stops the toolbox's container and starts it again; its llama-server loads the model anew.
async function restart(name) {
  if (!confirm('Restart ' + name + '? Requests it is answering now fail; it is back once its model has loaded.')) return;
  const r = await fetch('/api/v1/toolbox/restart', { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
    body: JSON.stringify({ name }) });
  const answer = await r.json().catch(() => ({}));
  $('action').textContent = r.ok ? answer.message : 'restart failed: ' + ((answer.error || {}).message || r.status);
  refresh();
}

function renderLogs() {
  const filter = $('log-filter').value.trim();
  const shown = filter ? state.logs.filter((l) => l.includes(filter)) : state.logs;
  $('log').textContent = shown.join('\n');
  $('log').scrollTop = $('log').scrollHeight;
}

async function streamLogs() {
  if (state.streaming) return;
  state.streaming = true;
  try {
    const r = await fetch('/api/v1/logs/stream', { headers: headers() });
    if (!r.ok) throw new Error('log stream ' + r.status);
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        // "access": the proxy's own access log; "component": a container's line, already "NAME | line".
        const kind = (event.split('\n').find((l) => l.startsWith('event: ')) || 'event: access').slice(7);
        for (const line of event.split('\n')) {
          if (line.startsWith('data: ')) state.logs.push((kind === 'component' ? '' : 'proxy | ') + line.slice(6));
        }
      }
      if (state.logs.length > 500) state.logs.splice(0, state.logs.length - 500);
      renderLogs();
    }
  } catch (e) {
    // the proxy went away: the next refresh tries again
  } finally {
    state.streaming = false;
  }
}

async function refresh() {
  try {
    const [stack, running, metrics] = await Promise.all([get(state.statusAvailable ? '/api/v1/status' : '/health'),
      get('/running'), get('/metrics', true)]);
    $('key').hidden = true;
    $('main').hidden = false;
    if (state.statusAvailable) renderStatus(stack); else renderStack(stack, running);
    renderModels(running);
    renderTraffic(parseMetrics(metrics));
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    streamLogs();
  } catch (e) {
    if (e instanceof NeedKey) {
      $('main').hidden = true;
      $('key').hidden = false;
      $('key-message').textContent = state.key ? 'that key was refused' : '';
    } else {
      $('overall').textContent = 'proxy not answering';
      $('overall').className = 'badge bad';
    }
  }
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  state.key = $('key-input').value;
  sessionStorage.setItem('1bit-key', state.key);
  refresh();
});
$('log-filter').addEventListener('input', renderLogs);

// Without the key it needs, the page asks for it before reading anything.
fetch('/ui/config.json', { cache: 'no-store' }).then((r) => r.json()).then((config) => {
  state.statusAvailable = config.status;
  if (config.keyRequired && !state.key) {
    $('key').hidden = false;
  } else {
    refresh();
  }
  setInterval(() => { if (!config.keyRequired || state.key) refresh(); }, 2000);
});
