// citygrid command display (监督指挥大屏): the case map, today's counts,
// the overdue list, top categories and grids, a 30-day series and the
// sources of today's reports. Data comes from citygrid's statistics API
// with the session cookie; live changes arrive as server-sent events (read
// with fetch, which shows a 401 or 429 that EventSource would hide and
// retry) and redraw the
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
const map = new maplibregl.Map({
  container: 'map',
  style: '/styles/default.json',
  center: [118.78, 31.99],
  zoom: 12,
  hash: true,
  localIdeographFontFamily: "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif",
  attributionControl: { compact: true },
});
window.commandMap = map;
map.addControl(new maplibregl.NavigationControl(), 'top-left');

function filterQuery() {
  const q = new URLSearchParams();
  const st = document.getElementById('f-state').value;
  if (st) q.set('state', st);
  const days = Number(document.getElementById('f-days').value);
  const from = new Date(Date.now() - (days - 1) * 86400000 + 8 * 3600000); // China Standard Time date
  q.set('from', from.toISOString().slice(0, 10));
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

map.on('load', async () => {
  // The big screen shows cases over the grids and roads: the base
  // style's components, door plates and POIs would drown them.
  for (const id of ['components', 'components-line', 'components-polygon', 'component-clusters', 'addresses', 'address-labels', 'pois', 'poi-labels']) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', 'none');
  }
  const style = await fetch('/command/assets/command-style.json').then((r) => r.json());
  map.addSource('cases', { type: 'vector', tiles: caseTiles(state.generation), minzoom: 8, maxzoom: 18 });
  for (const l of style.layers) map.addLayer(l);
  state.mapReady = true;
  map.on('click', 'cases', (e) => {
    const f = e.features[0];
    new maplibregl.Popup().setLngLat(e.lngLat)
      .setHTML(`<b>#${f.id}</b> ${f.properties.state}<br>${f.properties.kind}/${f.properties.category}<br>${f.properties.unit || ''}${f.properties.overdue ? '<br><b style="color:#e03131">超期</b>' : ''}`)
      .addTo(map);
  });
});
for (const id of ['f-state', 'f-days', 'f-overdue']) {
  document.getElementById(id).addEventListener('change', () => refreshTiles());
}

// ---- counts, lists and charts ----------------------------------------------
const charts = {};
function chart(id) {
  if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), 'dark', { renderer: 'canvas' });
  return charts[id];
}
window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));

function bar(id, title, rows) {
  const top = rows.slice(0, 10).reverse();
  chart(id).setOption({
    backgroundColor: 'transparent',
    title: { text: title, textStyle: { fontSize: 13 } },
    grid: { left: 110, right: 20, top: 30, bottom: 20 },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', data: top.map((r) => r.name || r.key), axisLabel: { width: 100, overflow: 'truncate' } },
    series: [{ type: 'bar', data: top.map((r) => r.registered), itemStyle: { color: '#4dabf7' } }],
  });
}

const sourceNames = { inspector: '监督员', hotline: '热线', citizen: '市民', video: '视频', self: '自查' };

function render(t) {
  state.counts = t;
  const set = (id, v) => { document.getElementById(id).textContent = v; };
  set('c-reported', t.today.reported);
  set('c-registered', t.today.registered);
  set('c-dispatched', t.today.dispatched);
  set('c-closed', t.today.closed);
  set('c-open', t.open);
  set('c-overdue', t.overdue_now);
  const tb = document.getElementById('overdue-rows');
  tb.replaceChildren(...(t.overdue_list || []).map((c) => {
    const tr = document.createElement('tr');
    for (const v of [c.number || '#' + c.id, c.category_name || c.category, c.unit_name || c.unit, c.overdue_hours]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    tr.addEventListener('click', () => map.flyTo({ center: [c.lon, c.lat], zoom: 17 }));
    return tr;
  }));
  bar('chart-categories', '高发问题 (30 天立案)', t.top_categories || []);
  bar('chart-grids', '高发网格 (30 天立案)', t.top_grids || []);
  chart('chart-daily').setOption({
    backgroundColor: 'transparent',
    title: { text: '近 30 天', textStyle: { fontSize: 13 } },
    legend: { top: 0, right: 0 },
    grid: { left: 40, right: 10, top: 30, bottom: 20 },
    xAxis: { type: 'category', data: t.daily.map((d) => d.date.slice(5)) },
    yAxis: { type: 'value' },
    series: [
      { name: '上报', type: 'line', data: t.daily.map((d) => d.reported), smooth: true },
      { name: '立案', type: 'line', data: t.daily.map((d) => d.registered), smooth: true },
      { name: '结案', type: 'line', data: t.daily.map((d) => d.closed), smooth: true },
    ],
  });
  chart('chart-sources').setOption({
    backgroundColor: 'transparent',
    title: { text: '今日来源', textStyle: { fontSize: 13 } },
    series: [{ type: 'pie', radius: ['35%', '65%'], center: ['60%', '55%'],
      data: Object.entries(t.sources_today || {}).map(([k, v]) => ({ name: sourceNames[k] || k, value: v })) }],
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
refresh();

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
