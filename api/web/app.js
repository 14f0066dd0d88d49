// citygrid map page (城市网格地图): MapLibre GL JS served by citygrid itself
// (no CDN). A click shows, in Chinese and by name, what is at the point:
// the grid, community, street, the features under the cursor, and the unit
// responsible for the chosen category with its reason in a sentence.
import * as maplibregl from '/web/maplibre-gl/maplibre-gl.mjs';

// Layer groups of the switcher: label, swatch colour, style layer ids.
const groups = [
  ['区、街道、社区', '#6d5c45', ['districts-fill', 'districts-line', 'streets-line', 'communities-fill', 'communities-line', 'district-labels', 'street-labels', 'community-labels']],
  ['单元网格', '#9c8f78', ['unit-grids-fill', 'unit-grids-line', 'unit-grid-labels']],
  ['责任网格', '#e8590c', ['management-grids-responsibility-fill', 'management-grids-responsibility-line', 'management-grid-labels']],
  ['监督员网格', '#1971c2', ['management-grids-inspector-line']],
  ['其他网格', '#7048e8', ['management-grids-other-line']],
  ['道路', '#cfc4b0', ['roads-casing', 'roads', 'road-labels']],
  ['部件', '#1c7ed6', ['components', 'components-line', 'components-polygon', 'component-clusters']],
  ['门牌', '#495057', ['addresses', 'address-labels']],
  ['兴趣点', '#c2255c', ['pois', 'poi-labels']],
];

const statusNames = { intact: '完好', damaged: '破损', lost: '丢失', occupied: '被占用', disused: '废弃', removed: '已拆除' };
const gridKinds = { responsibility: '责任网格', inspector: '监督员网格' };
const kindNames = { component: '部件', event: '事件' };
const poiKinds = {
  school: '学校', kindergarten: '幼儿园', hospital: '医院', clinic: '诊所', park: '公园', mall: '商场', market: '市场',
  supermarket: '超市', hotel: '酒店', bank: '银行', office: '办公楼', residential: '住宅小区', gas_station: '加油站',
  bus_stop: '公交站', bus_station: '汽车站', metro: '地铁站', station: '车站',
};

const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

// ---- names: departments and categories by code ----------------------------
const names = { departments: {}, categories: [], byKey: new Map() };
const namesReady = fetch('/web/names.json').then((r) => (r.ok ? r.json() : null)).catch(() => null).then((body) => {
  if (!body) return;
  names.departments = body.departments || {};
  names.categories = (body.categories || []).map((c) => ({ ...c, ...spell(c.name) }));
  for (const c of names.categories) names.byKey.set(c.kind + '/' + c.code, c);
});
const deptName = (code) => (code ? names.departments[code] || '未登记单位（' + code + '）' : '');
const category = (kind, code) => names.byKey.get(kind + '/' + code);

// spell answers a name's pinyin, whole and as initials ("bao lu la ji",
// "blj"), for matching what a person types; empty without pinyin-pro.
function spell(name) {
  const p = window.pinyinPro;
  if (!p) return { py: '', initials: '' };
  const syl = p.pinyin(name, { toneType: 'none', type: 'array', nonZh: 'removed' });
  return { py: syl.join(''), initials: syl.map((s) => s[0] || '').join('') };
}

// ---- the map, fitted to the city --------------------------------------------
// The URL keeps the view (hash) once the map moved; a person who came with
// a view in the link gets it, everyone else sees the whole city.
const cameWithView = /^#\d+(\.\d+)?\/-?\d/.test(location.hash);
const tj = await fetch('/tiles/city.json').then((r) => r.json()).catch(() => null);
const bounds = tj?.bounds ? [[tj.bounds[0], tj.bounds[1]], [tj.bounds[2], tj.bounds[3]]] : null;
const view = !cameWithView && bounds ? { bounds, fitBoundsOptions: { padding: 20 } } : { center: [118.78, 31.99], zoom: 13 };
const map = new maplibregl.Map({
  container: 'map',
  style: '/styles/default.json',
  ...view,
  hash: true,
  // Chinese glyphs are drawn by the browser from a local font, so labels
  // render with no internet; Latin comes from citygrid's /fonts.
  localIdeographFontFamily: "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif",
  attributionControl: { compact: true },
});
window.citygridMap = map;
window.citygridBounds = bounds;
map.addControl(new maplibregl.NavigationControl(), 'top-left');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
if (tj) document.getElementById('version').textContent = '数据版本 ' + tj.data_version;

map.on('load', () => {
  buildSwitcher();
  buildBigClasses();
  if (tj) followEdits(tj.data_version);
});

// Edits reach the server's tiles at once; the page follows them: it reads
// TileJSON every few seconds and, when the data version moved on, points
// the source at the new versioned tile URLs, so MapLibre fetches the tiles
// again (unchanged ones answer from the browser cache or with 304).
function followEdits(version) {
  let current = version;
  const check = async () => {
    if (document.hidden) return;
    const now = await fetch('/tiles/city.json', { cache: 'no-cache' }).then((r) => r.json()).catch(() => null);
    if (!now || now.data_version === current) return;
    current = now.data_version;
    const src = map.getSource('city');
    if (src && src.setTiles) src.setTiles(now.tiles);
    document.getElementById('version').textContent = '数据版本 ' + now.data_version;
  };
  window.citygridCheckEdits = check;
  setInterval(check, 3000);
  document.addEventListener('visibilitychange', check);
}

// Component big classes: a legend whose checkboxes hide a class in every
// component layer (on top of each layer's own filter).
const componentLayers = ['components', 'components-line', 'components-polygon', 'component-clusters'];
function buildBigClasses() {
  const classes = map.getStyle().metadata?.['citygrid:big-classes'] ?? {};
  const base = Object.fromEntries(componentLayers.filter((id) => map.getLayer(id)).map((id) => [id, map.getFilter(id)]));
  const hidden = new Set();
  const apply = () => {
    for (const [id, f] of Object.entries(base)) {
      const keep = ['!', ['in', ['get', 'big'], ['literal', [...hidden]]]];
      map.setFilter(id, f ? ['all', f, keep] : keep);
    }
  };
  const box = document.getElementById('bigclasses');
  for (const [code, { color, name }] of Object.entries(classes)) {
    const cb = checkbox(() => { if (cb.checked) hidden.delete(code); else hidden.add(code); apply(); });
    cb.dataset.big = code;
    box.append(legendRow(cb, color, name, true));
  }
}

function buildSwitcher() {
  const box = document.getElementById('layers');
  for (const [label, colour, ids] of groups) {
    const present = ids.filter((id) => map.getLayer(id));
    if (!present.length) continue;
    const cb = checkbox(() => {
      for (const id of present) map.setLayoutProperty(id, 'visibility', cb.checked ? 'visible' : 'none');
    });
    cb.dataset.group = label;
    box.append(legendRow(cb, colour, label, false));
  }
}

function checkbox(onChange) {
  const cb = document.createElement('input');
  cb.type = 'checkbox';
  cb.checked = true;
  cb.addEventListener('change', onChange);
  return cb;
}

function legendRow(cb, colour, text, round) {
  const el = document.createElement('label');
  const sw = document.createElement('span');
  sw.className = 'swatch';
  sw.style.background = colour;
  if (round) sw.style.borderRadius = '50%';
  el.append(cb, sw, document.createTextNode(text));
  return el;
}

// ---- category picker (责任查询) ---------------------------------------------
// The category the responsibility lookup asks about when the click is not
// on a component: picked from a list searched by name, code or pinyin.
let chosen = null;
const input = document.getElementById('category-q');
const list = document.getElementById('category-list');

function choose(c) {
  chosen = c;
  document.getElementById('category-name').textContent = `${c.name}（${kindNames[c.kind]} ${c.code}，${c.big_name}）`;
  input.value = '';
  closeList();
}

// matches answers the categories matching q, best first: a code prefix, a
// name containing q, the pinyin initials or the whole pinyin starting
// with q.
function matches(q) {
  q = q.trim().toLowerCase().replace(/\s+/g, '');
  if (!q) return names.categories.slice();
  const scored = [];
  for (const c of names.categories) {
    let s = 0;
    if (c.code.startsWith(q)) s = 4;
    else if (c.name.includes(q)) s = 3;
    else if (c.initials.startsWith(q)) s = 2;
    else if (c.py.startsWith(q) || c.initials.includes(q) || c.py.includes(q) || c.big_name.includes(q)) s = 1;
    if (s) scored.push([s, c]);
  }
  return scored.sort((a, b) => b[0] - a[0]).map(([, c]) => c);
}

let active = -1;
function openList() {
  const found = matches(input.value).slice(0, 60);
  active = found.length ? 0 : -1;
  list.replaceChildren(...found.map((c, i) => {
    const li = document.createElement('li');
    li.setAttribute('role', 'option');
    li.setAttribute('aria-selected', String(i === active));
    li.dataset.code = c.code;
    li.dataset.kind = c.kind;
    li.innerHTML = `<span>${esc(c.name)}</span><small>${esc(kindNames[c.kind])} ${esc(c.code)} · ${esc(c.big_name)}</small>`;
    li.addEventListener('mousedown', (e) => { e.preventDefault(); choose(c); });
    li.item = c;
    return li;
  }));
  if (!found.length) list.innerHTML = '<li class="hint">没有匹配的类别</li>';
  list.hidden = false;
  input.setAttribute('aria-expanded', 'true');
}
function closeList() {
  list.hidden = true;
  input.setAttribute('aria-expanded', 'false');
}
input.addEventListener('input', openList);
input.addEventListener('focus', openList);
input.addEventListener('blur', closeList);
input.addEventListener('keydown', (e) => {
  const items = [...list.querySelectorAll('li[role=option]')];
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    if (!items.length) return;
    active = (active + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
    items.forEach((li, i) => li.setAttribute('aria-selected', String(i === active)));
    items[active].scrollIntoView({ block: 'nearest' });
  } else if (e.key === 'Enter') {
    e.preventDefault();
    if (items[active]) choose(items[active].item);
  } else if (e.key === 'Escape') {
    closeList();
  }
});
namesReady.then(() => {
  const first = category('event', '0101') || names.categories.find((c) => c.kind === 'event') || names.categories[0];
  if (first && !chosen) choose(first);
});

// ---- the click card ---------------------------------------------------------
function facts(rows) {
  const body = rows.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  return `<dl class="facts">${body}</dl>`;
}

// featureCard describes one clicked feature in words, or '' for layers
// the location card already covers (areas and grids).
function featureCard(f) {
  const p = f.properties;
  switch (f.sourceLayer) {
    case 'components': {
      const c = category('component', p.category);
      const title = c?.name || '类别 ' + p.category;
      return `<div class="card" data-layer="components"><h3>部件：${esc(title)}${p.name && p.name !== title ? '（' + esc(p.name) + '）' : ''}</h3>` +
        facts([['大类', c?.big_name], ['部件编码', p.code], ['状态', statusNames[p.status] || p.status], ['主管部门', deptName(p.department || c?.department)], ['单元网格', p.unit_grid]]) + '</div>';
    }
    case 'pois':
      return `<div class="card" data-layer="pois"><h3>${esc(p.name)}</h3>` + facts([['类型', poiKinds[p.kind] || '兴趣点']]) + '</div>';
    case 'addresses':
      return `<div class="card" data-layer="addresses"><h3>门牌：${esc(p.address || p.number + '号')}</h3>` + facts([['门牌号', p.number]]) + '</div>';
    case 'roads':
      return p.name ? `<div class="card" data-layer="roads"><h3>道路：${esc(p.name)}</h3></div>` : '';
    default:
      return '';
  }
}

function locationCard(loc) {
  if (!loc.covered) return '<div class="card" id="location"><p>此处不在本市的单元网格内。</p></div>';
  const rows = [['区', loc.district?.name], ['街道', loc.street?.name], ['社区', loc.community?.name], ['单元网格', loc.unit_grid?.code]];
  for (const g of loc.management_grids || []) {
    rows.push([gridKinds[g.kind] || '管理网格', g.name + (g.unit ? '（' + deptName(g.unit) + '）' : '')]);
  }
  return '<div class="card" id="location"><h3>所在位置</h3>' + facts(rows) + '</div>';
}

// reasonSentence says in one sentence why the unit answers for the case.
function reasonSentence(res, loc) {
  const unit = res.unit?.name || deptName(res.unit?.code);
  const cat = res.category?.name || '该类问题';
  const where = [loc?.street?.name, loc?.community?.name].filter(Boolean).join('');
  switch (res.rule) {
    case 'component_maintainer':
      return `该处部件「${cat}」登记的养护单位是${unit}，由其负责处置。`;
    case 'component_owner':
      return `该处部件「${cat}」未登记养护单位，由其权属单位${unit}负责处置。`;
    case 'rule_table':
      return `${where ? '此处属' + where + '，' : ''}按责任规则${res.rule_id ? '第 ' + res.rule_id + ' 条' : ''}，${kindNames[res.category?.kind] || ''}「${cat}」由${unit}负责处置。`;
    case 'category_department':
      return `没有针对此处的责任规则，「${cat}」由其主管部门${unit}负责处置。`;
    case 'fallback':
      return `没有找到负责「${cat}」的单位，按兜底规则由${unit}负责处置。`;
    default:
      return `由${unit}负责处置。`;
  }
}

function responsibleCard(res, loc) {
  if (!res.unit) return '<div class="card" id="responsible"><h3>责任单位</h3><p>未找到责任单位。</p></div>';
  return `<div class="card" id="responsible"><h3>责任单位</h3><div class="unit-name">${esc(res.unit.name || deptName(res.unit.code))}</div>` +
    `<p class="reason">${esc(reasonSentence(res, loc))}</p></div>`;
}

async function getJSON(url) {
  const r = await fetch(url);
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error(body?.error || String(r.status));
  return body;
}

map.on('click', async (e) => {
  await namesReady;
  const info = document.getElementById('info');
  const feats = map.queryRenderedFeatures(e.point).filter((f) => f.sourceLayer !== 'labels');
  const seen = new Set();
  let component = null;
  let cards = '';
  for (const f of feats) {
    const key = f.sourceLayer + '/' + (f.properties.code ?? f.id);
    if (seen.has(key)) continue;
    seen.add(key);
    if (f.sourceLayer === 'components' && !component && f.properties.code) component = f.properties;
    cards += featureCard(f);
  }
  info.innerHTML = `<h2>点击位置</h2><p class="hint">经度 ${e.lngLat.lng.toFixed(6)}，纬度 ${e.lngLat.lat.toFixed(6)}</p>` +
    '<div id="location-slot"><p class="hint">正在查询…</p></div><div id="responsible-slot"></div>' + cards;
  const q = `lon=${e.lngLat.lng.toFixed(7)}&lat=${e.lngLat.lat.toFixed(7)}`;
  // Component and event codes overlap (0101 is 上水井盖 and 私搭乱建): a
  // clicked component asks about itself, else the chosen category.
  let rq = null;
  if (component) rq = `/api/v1/responsible?${q}&category=${encodeURIComponent(component.category)}&component=${encodeURIComponent(component.code)}`;
  else if (chosen) rq = `/api/v1/responsible?${q}&category=${encodeURIComponent(chosen.code)}&kind=${encodeURIComponent(chosen.kind)}`;
  const [loc, res] = await Promise.allSettled([getJSON(`/api/v1/locate?${q}`), rq ? getJSON(rq) : Promise.reject(new Error('未选择类别'))]);
  document.getElementById('location-slot').innerHTML = loc.status === 'fulfilled' ? locationCard(loc.value) : `<p class="error">位置查询失败：${esc(loc.reason.message)}</p>`;
  document.getElementById('responsible-slot').innerHTML = res.status === 'fulfilled'
    ? responsibleCard(res.value, loc.value)
    : `<div class="card" id="responsible"><h3>责任单位</h3><p class="error">无法确定：${esc(res.reason.message)}</p></div>`;
});

for (const layer of ['components', 'pois', 'addresses']) {
  map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
}

// ---- address search through citygrid's geocoder ----------------------------
const levelNames = { address: '门牌', poi: '兴趣点', road: '道路', community: '社区', street: '街道', district: '区' };
let marker = null;
document.getElementById('search-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const q = document.getElementById('search-q').value.trim();
  const results = document.getElementById('search-results');
  results.innerHTML = '';
  if (!q) return;
  let body;
  try {
    body = await getJSON(`/api/v1/geocode?q=${encodeURIComponent(q)}&limit=8`);
  } catch (err) {
    results.innerHTML = `<li class="error">查询失败：${esc(err.message)}</li>`;
    return;
  }
  if (!body.results.length) results.innerHTML = '<li>没有找到</li>';
  for (const res of body.results) {
    const li = document.createElement('li');
    li.innerHTML = `${esc(res.label)} <small>${esc(levelNames[res.level] || '')}${res.unit_grid ? ' · 网格 ' + esc(res.unit_grid) : ''}</small>`;
    li.addEventListener('click', () => {
      const c = res.geometry.coordinates;
      if (marker) marker.remove();
      marker = new maplibregl.Marker({ color: '#d9480f' }).setLngLat(c).addTo(map);
      map.flyTo({ center: c, zoom: Math.max(map.getZoom(), 17) });
    });
    results.append(li);
  }
});
