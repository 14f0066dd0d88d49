// citygrid command display (监督指挥大屏): the case map, today's counts,
// the headline rates (结案率, 按期结案率, 返工率) today and this month
// against last month, this month's ranking of streets and units, the
// overdue list, top categories and grids, a 30-day series and the sources
// of today's reports. Data comes from citygrid's statistics API with the
// session cookie; live changes arrive as server-sent events (read with
// fetch, which shows a 401 or 429 that EventSource would hide and retry)
// and redraw the
// case tiles and the counts within a second or two. MapLibre and ECharts
// are served by citygrid itself (no CDN).
import * as maplibregl from '/web/maplibre-gl/maplibre-gl.mjs';

const state = { counts: null, generation: 0, events: 0, lastEvent: null, mapReady: false, refreshedAt: 0 };
window.commandState = state;

// The session cookie authenticates every call (fetch sends it); no
// credential is ever in this page's address or storage. A token kept by
// an older version of this page is forgotten.
localStorage.removeItem('citygrid.token');

// stopped is set once the server said 401 (not signed in) or 429 (too
// many requests): the page stops calling it until the person acts, so an
// open screen with an ended session cannot hammer the server.
let stopped = false;

// signIn sends the browser to the sign-in page, which brings it back here.
function signIn() {
  stopped = true;
  location.assign('/login?next=' + encodeURIComponent(location.pathname));
}

// pause stops the page after a 429 and says so.
function pause(res) {
  stopped = true;
  const s = parseInt(res.headers.get('Retry-After') || '60', 10) || 60;
  const f = document.getElementById('notice');
  f.hidden = false;
  f.textContent = `请求过多，已暂停刷新（约 ${s} 秒后可重试）。请刷新页面继续。`;
}

async function api(path) {
  if (stopped) throw new Error('stopped');
  const r = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (r.status === 401) {
    signIn();
    throw new Error('unauthorized');
  }
  if (r.status === 429) {
    pause(r);
    throw new Error('too many requests');
  }
  if (r.status === 403) {
    const f = document.getElementById('notice');
    f.hidden = false;
    f.textContent = '当前账号的角色无权查看指挥大屏。';
    stopped = true;
    throw new Error('forbidden');
  }
  if (!r.ok) throw new Error(path + ': ' + r.status);
  return r.json();
}

// Who is signed in, and signing out (a write: it carries the session's
// CSRF token).
let csrf = '';
(async () => {
  const r = await fetch('/api/v1/session', { credentials: 'same-origin', cache: 'no-store' });
  if (!r.ok) return;
  const s = await r.json();
  csrf = s.csrf_token;
  document.getElementById('user').textContent = s.user.display_name + '（' + s.user.username + '）';
  document.getElementById('signout').hidden = false;
})();
document.getElementById('signout').addEventListener('click', async () => {
  stopped = true;
  await fetch('/api/v1/session', { method: 'DELETE', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } }).catch(() => {});
  location.assign('/login');
});

// Clock.
setInterval(() => { document.getElementById('clock').textContent = new Date().toLocaleString('zh-CN', { hour12: false }); }, 1000);

// ---- map ----------------------------------------------------------------
// The map opens on the whole city (the hash only when the link has one).
const cameWithView = /^#\d+(\.\d+)?\/-?\d/.test(location.hash);
const cityTJ = await fetch('/tiles/city.json').then((r) => r.json()).catch(() => null);
const cityBounds = cityTJ?.bounds ? [[cityTJ.bounds[0], cityTJ.bounds[1]], [cityTJ.bounds[2], cityTJ.bounds[3]]] : null;
const map = new maplibregl.Map({
  container: 'map',
  style: '/styles/default.json',
  ...(!cameWithView && cityBounds ? { bounds: cityBounds, fitBoundsOptions: { padding: 30 } } : { center: [118.78, 31.99], zoom: 12 }),
  hash: true,
  localIdeographFontFamily: "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif",
  attributionControl: { compact: true },
});
window.commandMap = map;
window.commandBounds = cityBounds;
map.addControl(new maplibregl.NavigationControl(), 'top-left');

// Names for the codes the case tiles carry (categories, units).
const names = { departments: {}, categories: new Map() };
fetch('/web/names.json').then((r) => (r.ok ? r.json() : null)).then((b) => {
  if (!b) return;
  names.departments = b.departments || {};
  for (const c of b.categories || []) names.categories.set(c.kind + '/' + c.code, c.name);
}).catch(() => {});
const stateNames = {
  reported: '待核实', verified: '待立案', registered: '待派遣', not_registered: '不予立案', dispatched: '处置中',
  handled: '待核查', checked: '待结案', closed: '已结案', returned: '已回退', arbitration: '仲裁中', suspended: '挂账', cancelled: '已作废',
};
const kindNames = { component: '部件', event: '事件' };
const sourceNames = { inspector: '监督员', hotline: '热线', citizen: '市民', video: '视频', self: '自查' };

// filterQuery is the case tiles' filter. 在办 means what the 在办案件
// count means: every case not closed, refused or cancelled, whenever it
// was reported, so the report-time choice applies to the other views.
function filterQuery() {
  const q = new URLSearchParams();
  const st = document.getElementById('f-state').value;
  if (st) q.set('state', st);
  const days = document.getElementById('f-days');
  days.disabled = st === 'open';
  document.getElementById('f-note').textContent = st === 'open' ? '在办：全部未结案件，与“在办案件”数一致' : '';
  if (st !== 'open') {
    const from = new Date(Date.now() - (Number(days.value) - 1) * 86400000 + 8 * 3600000); // China Standard Time date
    q.set('from', from.toISOString().slice(0, 10));
  }
  if (document.getElementById('f-overdue').checked) q.set('overdue', 'true');
  return q.toString();
}

function caseTiles(gen) {
  return [location.origin + '/tiles/cases/{z}/{x}/{y}.mvt?' + filterQuery() + '&g=' + gen];
}

function refreshTiles(gen) {
  if (gen !== undefined) state.generation = Math.max(state.generation, gen);
  const src = map.getSource('cases');
  if (src) src.setTiles(caseTiles(state.generation));
}

// clusterImage draws a round marker for the case clusters: a symbol
// layer (not circles) so MapLibre drops the clusters that would overlap.
function clusterImage(fill) {
  const size = 64;
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const g = c.getContext('2d');
  g.beginPath();
  g.arc(size / 2, size / 2, size / 2 - 3, 0, 2 * Math.PI);
  g.fillStyle = fill;
  g.globalAlpha = 0.85;
  g.fill();
  g.globalAlpha = 1;
  g.lineWidth = 3;
  g.strokeStyle = '#ffffff';
  g.stroke();
  return g.getImageData(0, 0, size, size);
}

function casePopup(f) {
  const p = f.properties;
  const cat = names.categories.get(p.kind + '/' + p.category) || '类别 ' + p.category;
  const unit = p.unit ? names.departments[p.unit] || p.unit : '未派遣';
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  return `<h3>案件 ${esc(f.id)} · ${esc(stateNames[p.state] || p.state)}</h3>` +
    `<div>${esc(kindNames[p.kind] || '')}：${esc(cat)}</div><div>处置单位：${esc(unit)}</div>` +
    (p.source ? `<div>来源：${esc(sourceNames[p.source] || p.source)}</div>` : '') +
    (p.overdue ? '<div class="overdue">已超期</div>' : '');
}

map.on('load', async () => {
  // The big screen shows cases over the grids and roads: the base
  // style's components, door plates and POIs would drown them.
  for (const id of ['components', 'components-line', 'components-polygon', 'component-clusters', 'addresses', 'address-labels', 'pois', 'poi-labels']) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', 'none');
  }
  map.addImage('case-cluster', clusterImage('#1c7ed6'));
  map.addImage('case-cluster-overdue', clusterImage('#e03131'));
  const style = await fetch('/command/assets/command-style.json').then((r) => r.json());
  map.addSource('cases', { type: 'vector', tiles: caseTiles(state.generation), minzoom: 8, maxzoom: 18 });
  for (const l of style.layers) map.addLayer(l);
  state.mapReady = true;
  inspectorLayer();
  map.on('click', 'cases', (e) => {
    state.popup = new maplibregl.Popup({ maxWidth: '22em' }).setLngLat(e.lngLat).setHTML(casePopup(e.features[0])).addTo(map);
  });
  map.on('click', 'case-clusters', (e) => {
    map.easeTo({ center: e.lngLat, zoom: Math.min(map.getZoom() + 2, 16) });
  });
  for (const id of ['cases', 'case-clusters']) {
    map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
  }
});
for (const id of ['f-state', 'f-days', 'f-overdue']) {
  document.getElementById(id).addEventListener('change', () => refreshTiles());
}
filterQuery();

// ---- inspectors on duty -----------------------------------------------------
// The inspectors' last positions (green: on duty, grey: off duty), read
// every 30 s while the 监督员位置 box is ticked; a click shows one's track of
// today. Roles that may not read positions never see the box.
async function inspectorLayer() {
  const empty = { type: 'FeatureCollection', features: [] };
  map.addSource('inspectors', { type: 'geojson', data: empty });
  map.addSource('inspector-track', { type: 'geojson', data: empty });
  map.addLayer({ id: 'inspector-track', type: 'line', source: 'inspector-track', paint: { 'line-color': '#40c057', 'line-width': 3, 'line-dasharray': [2, 1] } });
  map.addLayer({ id: 'inspectors', type: 'circle', source: 'inspectors', paint: { 'circle-radius': 7, 'circle-color': ['case', ['get', 'on_duty'], '#40c057', '#868e96'], 'circle-stroke-width': 2, 'circle-stroke-color': '#fff' } });
  const box = document.getElementById('f-inspectors');
  const load = async () => {
    if (stopped || !box.checked) return;
    const r = await fetch('/api/v1/inspectors/positions', { credentials: 'same-origin', cache: 'no-store' });
    if (!r.ok) return; // 403: this role does not see inspectors
    document.getElementById('l-inspectors').hidden = false;
    const d = await r.json();
    state.inspectors = d.inspectors.filter((i) => i.position).length;
    map.getSource('inspectors').setData({ type: 'FeatureCollection', features: d.inspectors.filter((i) => i.position).map((i) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: [i.position.lon, i.position.lat] },
      properties: { user: i.user, on_duty: i.on_duty, at: i.position.at, unit_grid: i.unit_grid || '' },
    })) });
  };
  box.addEventListener('change', () => {
    for (const id of ['inspectors', 'inspector-track']) map.setLayoutProperty(id, 'visibility', box.checked ? 'visible' : 'none');
    load();
  });
  map.on('click', 'inspectors', async (e) => {
    const p = e.features[0].properties;
    const r = await fetch(`/api/v1/inspectors/${encodeURIComponent(p.user)}/track`, { credentials: 'same-origin', cache: 'no-store' });
    const t = r.ok ? await r.json() : { positions: [] };
    map.getSource('inspector-track').setData({ type: 'Feature', geometry: { type: 'LineString', coordinates: t.positions.map((q) => [q.lon, q.lat]) }, properties: {} });
    new maplibregl.Popup().setLngLat(e.lngLat)
      .setHTML(`<b>监督员 ${p.user}</b><br>${p.on_duty ? '在岗' : '已下班'} · 网格 ${p.unit_grid || '—'}<br>${new Date(p.at).toLocaleTimeString('zh-CN', { hour12: false })} · 今日 ${t.positions.length} 个轨迹点`)
      .addTo(map);
  });
  await load();
  setInterval(load, 30000);
}

// ---- counts, lists and charts ----------------------------------------------
const charts = {};
function chart(id) {
  if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), null, { renderer: 'canvas' });
  return charts[id];
}
window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));

const chartText = { color: '#e7eef8', fontSize: 13 };
function bar(id, title, rows) {
  const top = rows.slice(0, 8).reverse();
  chart(id).setOption({
    backgroundColor: 'transparent',
    textStyle: chartText,
    title: { text: title, left: 6, top: 4, textStyle: { fontSize: 14, color: '#e7eef8' } },
    grid: { left: 8, right: 36, top: 30, bottom: 6, containLabel: true },
    xAxis: { type: 'value', splitLine: { lineStyle: { color: '#1d3a60' } }, axisLabel: { color: '#9fb6d1' } },
    yAxis: { type: 'category', data: top.map((r) => r.name || r.key), axisLabel: { width: 110, overflow: 'truncate', color: '#c5d6ea', interval: 0, fontSize: 11 } },
    series: [{ type: 'bar', name: '立案', data: top.map((r) => r.registered), itemStyle: { color: '#4dabf7' }, label: { show: true, position: 'right', color: '#c5d6ea' } }],
    tooltip: { trigger: 'axis' },
  }, true);
}

const pct = (v) => (v === null || v === undefined ? '—' : (v * 100).toFixed(1) + '%');

// renderRates fills 结案率, 按期结案率 and 返工率: today's, this month's
// and this month's change against last month in percentage points
// (green when better: higher, or lower for 返工率).
function renderRates(today, month, last) {
  for (const tr of document.querySelectorAll('#rates tr[data-rate]')) {
    const k = tr.dataset.rate;
    tr.querySelector('.today').textContent = pct(today?.[k]);
    tr.querySelector('.month').textContent = pct(month?.[k]);
    const cell = tr.querySelector('.change');
    cell.className = 'change';
    if (month?.[k] == null || last?.[k] == null) {
      cell.textContent = '—';
      continue;
    }
    const d = (month[k] - last[k]) * 100;
    cell.textContent = Math.abs(d) < 0.05 ? '持平' : (d > 0 ? '↑ ' : '↓ ') + Math.abs(d).toFixed(1) + ' 个百分点';
    const better = tr.dataset.lowerBetter ? d < 0 : d > 0;
    if (Math.abs(d) >= 0.05) cell.classList.add(better ? 'up' : 'down');
  }
}

let rankingGroup = 'street';
function renderRanking() {
  const rows = (state.ranking?.[rankingGroup] || []).filter((r) => r.key && r.rank).sort((a, b) => a.rank - b.rank);
  const tb = document.getElementById('ranking-rows');
  tb.replaceChildren(...rows.map((r) => {
    const tr = document.createElement('tr');
    for (const v of [r.rank, r.name || r.key, r.score == null ? '—' : r.score.toFixed(2), r.grade || '', pct(r.closure_rate)]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    tr.title = `${r.name}：立案 ${r.registered}，结案 ${r.closed}，按期结案率 ${pct(r.on_time_closure_rate)}，返工率 ${pct(r.rework_rate)}`;
    return tr;
  }));
  if (!rows.length) tb.innerHTML = '<tr><td colspan="5">本月暂无评价数据</td></tr>';
}
for (const b of document.querySelectorAll('#ranking .tabs button')) {
  b.addEventListener('click', () => {
    rankingGroup = b.dataset.group;
    for (const o of document.querySelectorAll('#ranking .tabs button')) o.setAttribute('aria-selected', String(o === b));
    renderRanking();
  });
}

// The month's statistics (rates, ranking) change slowly: read every
// minute, not on every case event.
function chinaDate(offsetMonths) {
  const now = new Date(Date.now() + 8 * 3600000);
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offsetMonths, offsetMonths ? 1 : now.getUTCDate())).toISOString().slice(0, 10);
}
async function refreshMonth() {
  if (stopped) return;
  try {
    const [street, unit, last] = await Promise.all([
      api(`/api/v1/stats?group=street&period=month&date=${chinaDate(0)}`),
      api(`/api/v1/stats?group=unit&period=month&date=${chinaDate(0)}`),
      api(`/api/v1/stats?group=street&period=month&date=${chinaDate(-1)}`),
    ]);
    state.month = street.total;
    state.lastMonth = last.total;
    state.ranking = { street: street.rows, unit: unit.rows };
    renderRates(state.counts?.today, state.month, state.lastMonth);
    renderRanking();
    state.monthAt = Date.now();
  } catch (e) {
    console.warn(e);
  }
}
setInterval(refreshMonth, 60000);

function render(t) {
  state.counts = t;
  const set = (id, v) => { document.getElementById(id).textContent = v; };
  set('c-reported', t.today.reported);
  set('c-registered', t.today.registered);
  set('c-dispatched', t.today.dispatched);
  set('c-closed', t.today.closed);
  set('c-open', t.open);
  set('c-overdue', t.overdue_now);
  renderRates(t.today, state.month, state.lastMonth);
  const tb = document.getElementById('overdue-rows');
  tb.replaceChildren(...(t.overdue_list || []).map((c) => {
    const tr = document.createElement('tr');
    const hours = c.overdue_hours >= 48 ? Math.floor(c.overdue_hours / 24) + ' 天' : Math.round(c.overdue_hours) + ' 小时';
    for (const v of [c.number || '#' + c.id, c.category_name || c.category, c.unit_name || c.unit || '未派遣', hours]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    tr.title = `${c.category_name}，${stateNames[c.state] || ''}，超期 ${c.overdue_hours} 小时`;
    tr.addEventListener('click', () => map.flyTo({ center: [c.lon, c.lat], zoom: 17 }));
    return tr;
  }));
  bar('chart-categories', '高发问题（近 30 天立案）', t.top_categories || []);
  bar('chart-grids', '高发网格（近 30 天立案）', t.top_grids || []);
  chart('chart-daily').setOption({
    backgroundColor: 'transparent',
    textStyle: chartText,
    title: { text: '近 30 天案件', left: 6, top: 4, textStyle: { fontSize: 14, color: '#e7eef8' } },
    legend: { top: 4, right: 6, textStyle: { color: '#c5d6ea' } },
    tooltip: { trigger: 'axis' },
    grid: { left: 8, right: 12, top: 32, bottom: 6, containLabel: true },
    xAxis: { type: 'category', data: t.daily.map((d) => d.date.slice(5).replace('-', '/')), axisLabel: { color: '#9fb6d1' } },
    yAxis: { type: 'value', splitLine: { lineStyle: { color: '#1d3a60' } }, axisLabel: { color: '#9fb6d1' } },
    series: [
      { name: '上报', type: 'line', data: t.daily.map((d) => d.reported), smooth: true, showSymbol: false },
      { name: '立案', type: 'line', data: t.daily.map((d) => d.registered), smooth: true, showSymbol: false },
      { name: '结案', type: 'line', data: t.daily.map((d) => d.closed), smooth: true, showSymbol: false },
    ],
  });
  chart('chart-sources').setOption({
    backgroundColor: 'transparent',
    textStyle: chartText,
    title: { text: '今日上报来源', left: 6, top: 4, textStyle: { fontSize: 14, color: '#e7eef8' } },
    tooltip: { trigger: 'item', formatter: '{b}：{c} 件（{d}%）' },
    series: [{ type: 'pie', radius: ['35%', '62%'], center: ['50%', '58%'], label: { color: '#e7eef8', formatter: '{b} {c}' },
      data: Object.entries(t.sources_today || {}).filter(([, v]) => v > 0).map(([k, v]) => ({ name: sourceNames[k] || k, value: v })) }],
  });
  state.refreshedAt = Date.now();
}

let refreshing = false;
async function refresh() {
  if (stopped || refreshing) return;
  refreshing = true;
  try {
    render(await api('/api/v1/stats/today'));
  } catch (e) {
    console.warn(e);
  } finally {
    refreshing = false;
  }
}
let pending = null;
function refreshSoon() {
  if (pending) return;
  pending = setTimeout(() => { pending = null; refresh(); }, 300);
}
setInterval(refresh, 30000);
refresh().then(refreshMonth);

// ---- live events -----------------------------------------------------------
function handle(chunk) {
  let ev = 'message';
  let data = '';
  for (const line of chunk.split('\n')) {
    if (line.startsWith('event:')) ev = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (!data) return;
  const msg = JSON.parse(data);
  if (ev === 'hello') {
    // A (re)connection: catch up on anything missed in between.
    if (msg.generation !== state.generation) {
      refreshTiles(msg.generation);
      refreshSoon();
    }
    return;
  }
  if (ev === 'reload') {
    refreshTiles(msg.generation);
    refreshSoon();
    return;
  }
  if (ev === 'case') {
    state.events++;
    state.lastEvent = msg;
    refreshTiles(msg.generation);
    refreshSoon();
  }
}

async function stream() {
  const live = document.getElementById('live');
  for (;;) {
    let ended = false;
    if (stopped) return;
    {
      try {
        const res = await fetch('/api/v1/case-events', { credentials: 'same-origin', cache: 'no-store' });
        if (res.status === 401) {
          signIn();
          return;
        }
        if (res.status === 429) {
          pause(res);
          return;
        }
        if (res.ok) {
          live.className = 'on';
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) {
              ended = true;
              break;
            }
            buf += value;
            let i;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              handle(buf.slice(0, i));
              buf = buf.slice(i + 2);
            }
          }
        }
      } catch (e) {
        console.warn('event stream', e);
      }
    }
    // The server ends each stream with its request timeout: reconnect at
    // once after a clean end, after 2 s after an error.
    live.className = 'off';
    await new Promise((r) => setTimeout(r, ended ? 100 : 2000));
  }
}
stream();
