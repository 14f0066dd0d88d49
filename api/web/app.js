// citygrid map page: MapLibre GL JS served by citygrid itself (no CDN).
import * as maplibregl from '/web/maplibre-gl/maplibre-gl.mjs';

// Layer groups of the switcher: label, swatch colour, style layer ids.
const groups = [
  ['区/街道/社区 Admin units', '#6d5c45', ['districts-fill', 'districts-line', 'streets-line', 'communities-fill', 'communities-line', 'district-labels', 'street-labels', 'community-labels']],
  ['单元网格 Unit grids', '#9c8f78', ['unit-grids-fill', 'unit-grids-line', 'unit-grid-labels']],
  ['责任网格 Responsibility grids', '#e8590c', ['management-grids-responsibility-fill', 'management-grids-responsibility-line', 'management-grid-labels']],
  ['监督员网格 Inspector grids', '#1971c2', ['management-grids-inspector-line']],
  ['其他网格 Other grids', '#7048e8', ['management-grids-other-line']],
  ['道路 Roads', '#cfc4b0', ['roads-casing', 'roads', 'road-labels']],
  ['部件 Components', '#1c7ed6', ['components', 'components-line', 'components-polygon', 'component-clusters']],
  ['门牌 Addresses', '#495057', ['addresses', 'address-labels']],
  ['兴趣点 POIs', '#c2255c', ['pois', 'poi-labels']],
];

const map = new maplibregl.Map({
  container: 'map',
  style: '/styles/default.json',
  center: [118.78, 31.99],
  zoom: 13,
  hash: true,
  // Chinese glyphs are drawn by the browser from a local font, so labels
  // render with no internet; Latin comes from citygrid's /fonts.
  localIdeographFontFamily: "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif",
  attributionControl: { compact: true },
});
window.citygridMap = map;
map.addControl(new maplibregl.NavigationControl(), 'top-left');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');

map.on('load', async () => {
  const tj = await fetch('/tiles/city.json').then((r) => r.json()).catch(() => null);
  if (tj) {
    document.getElementById('version').textContent = 'data ' + tj.data_version;
    if (!location.hash) {
      map.fitBounds([[tj.bounds[0], tj.bounds[1]], [tj.bounds[2], tj.bounds[3]]], { padding: 20, duration: 0 });
    }
  }
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
    const tj = await fetch('/tiles/city.json', { cache: 'no-cache' }).then((r) => r.json()).catch(() => null);
    if (!tj || tj.data_version === current) return;
    current = tj.data_version;
    const src = map.getSource('city');
    if (src && src.setTiles) src.setTiles(tj.tiles);
    document.getElementById('version').textContent = 'data ' + tj.data_version;
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
    const el = document.createElement('label');
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.checked = true;
    cb.dataset.big = code;
    cb.addEventListener('change', () => {
      if (cb.checked) hidden.delete(code); else hidden.add(code);
      apply();
    });
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = color;
    sw.style.borderRadius = '50%';
    el.append(cb, sw, document.createTextNode(`${code} ${name}`));
    box.append(el);
  }
}

function buildSwitcher() {
  const box = document.getElementById('layers');
  for (const [label, colour, ids] of groups) {
    const present = ids.filter((id) => map.getLayer(id));
    if (!present.length) continue;
    const el = document.createElement('label');
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.checked = true;
    cb.dataset.group = label;
    cb.addEventListener('change', () => {
      for (const id of present) map.setLayoutProperty(id, 'visibility', cb.checked ? 'visible' : 'none');
    });
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = colour;
    el.append(cb, sw, document.createTextNode(label));
    box.append(el);
  }
}

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

function attrsTable(props) {
  return '<table class="attrs">' + Object.entries(props).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('') + '</table>';
}

map.on('click', async (e) => {
  const info = document.getElementById('info');
  const feats = map.queryRenderedFeatures(e.point).filter((f) => f.sourceLayer !== 'labels');
  const seen = new Set();
  let html = `<h2>${e.lngLat.lng.toFixed(6)}, ${e.lngLat.lat.toFixed(6)}</h2>`;
  let component = null;
  for (const f of feats) {
    const key = f.sourceLayer + '/' + (f.properties.code ?? f.id);
    if (seen.has(key)) continue;
    seen.add(key);
    if (f.sourceLayer === 'components' && !component) component = f.properties;
    html += `<div class="feature"><b>${esc(f.sourceLayer)}</b>${attrsTable(f.properties)}</div>`;
  }
  html += '<h2>locate</h2><pre id="locate">…</pre><h2>responsible</h2><pre id="responsible">…</pre>';
  info.innerHTML = html;
  const q = `lon=${e.lngLat.lng.toFixed(7)}&lat=${e.lngLat.lat.toFixed(7)}`;
  const show = async (id, url) => {
    try {
      const r = await fetch(url);
      const body = await r.text();
      let text = body;
      try { text = JSON.stringify(JSON.parse(body), null, 1); } catch { /* not JSON */ }
      document.getElementById(id).textContent = `${r.status}\n${text}`;
    } catch (err) {
      document.getElementById(id).textContent = String(err);
    }
  };
  const category = component ? component.category : document.getElementById('category').value;
  let rq = `/api/v1/responsible?${q}&category=${encodeURIComponent(category)}`;
  // Component and event codes overlap (0101 is 上水井盖 and 私搭乱建): a
  // clicked component implies kind component, else the form says which.
  if (component) rq += `&component=${encodeURIComponent(component.code)}`;
  else rq += `&kind=${encodeURIComponent(document.getElementById('kind').value)}`;
  await Promise.all([show('locate', `/api/v1/locate?${q}`), show('responsible', rq)]);
});

for (const layer of ['components', 'pois', 'addresses']) {
  map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
}

// Address search through citygrid's geocoder.
let marker = null;
document.getElementById('search-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const q = document.getElementById('search-q').value.trim();
  const list = document.getElementById('search-results');
  list.innerHTML = '';
  if (!q) return;
  const r = await fetch(`/api/v1/geocode?q=${encodeURIComponent(q)}&limit=8`).catch(() => null);
  const body = r ? await r.json().catch(() => null) : null;
  if (!r || !r.ok || !body) {
    list.innerHTML = `<li>${esc(body?.error ?? 'search failed')}</li>`;
    return;
  }
  if (!body.results.length) list.innerHTML = '<li>没有结果 no results</li>';
  for (const res of body.results) {
    const li = document.createElement('li');
    li.innerHTML = `${esc(res.label)} <small>${esc(res.level)} ${res.unit_grid ? esc(res.unit_grid) : ''}</small>`;
    li.addEventListener('click', () => {
      const c = res.geometry.coordinates;
      if (marker) marker.remove();
      marker = new maplibregl.Marker({ color: '#d9480f' }).setLngLat(c).addTo(map);
      map.flyTo({ center: c, zoom: Math.max(map.getZoom(), 17) });
    });
    list.append(li);
  }
});
