// Reference data the screens show by name: the category catalogue (from
// the server's Open311 service list, with pinyin added here for search),
// unit and area names, the workflow as data and the deadline table. Each
// is fetched once per page load.
import { reactive } from 'vue';
import { pinyin } from 'pinyin-pro';
import { actingRoles, get, query } from './api.js';

export const names = reactive({ units: {}, streets: {}, communities: {}, categories: {} });

const once = new Map();
function memo(key, fn) {
  if (!once.has(key)) once.set(key, fn().catch((e) => { once.delete(key); throw e; }));
  return once.get(key);
}

// categories answers [{kind, code, name, group, py, initials}], component
// small classes first. Search matches the name, the code, the full pinyin
// (jingai) or its initials (jg).
export function categories() {
  return memo('categories', async () => {
    const list = await get('/open311/v2/services.json');
    return list.map((s) => {
      const kind = s.service_code.startsWith('C') ? 'component' : 'event';
      const code = s.service_code.slice(1);
      const syll = pinyin(s.service_name, { toneType: 'none', type: 'array' });
      const c = { kind, code, name: s.service_name, group: s.group || '', py: syll.join('').toLowerCase(), initials: syll.map((x) => x[0] || '').join('').toLowerCase() };
      names.categories[`${kind}/${code}`] = s.service_name;
      return c;
    });
  });
}

// matchCategory reports whether category c matches what was typed.
export function matchCategory(c, typed) {
  const q = typed.trim().toLowerCase().replace(/\s+/g, '');
  if (!q) return true;
  return c.name.includes(q) || c.code.startsWith(q) || c.py.includes(q) || c.initials.startsWith(q) || c.group.includes(q);
}

export function categoryName(kind, code) {
  return names.categories[`${kind}/${code}`] || code;
}

// loadNames fills unit, street and community names from this month's and
// last month's statistics rows (the API has no directory of departments);
// codes without cases there are shown as codes until a lookup names them.
export function loadNames() {
  return memo('names', async () => {
    const now = new Date();
    const last = new Date(now.getFullYear(), now.getMonth() - 1, 15);
    const date = `${last.getFullYear()}-${String(last.getMonth() + 1).padStart(2, '0')}-15`;
    const groups = [['unit', 'units'], ['street', 'streets'], ['community', 'communities']];
    await Promise.all(groups.flatMap(([g, into]) => [{}, { period: 'month', date }].map(async (extra) => {
      try {
        const d = await get('/api/v1/stats' + query({ group: g, ...extra }));
        for (const r of d.rows || []) if (r.key && r.name) names[into][r.key] = r.name;
      } catch { /* names stay codes */ }
    })));
  });
}

export const unitName = (code) => (code ? names.units[code] || code : '—');
export const streetName = (code) => (code ? names.streets[code] || code : '—');
export const communityName = (code) => (code ? names.communities[code] || code : '—');

// workflow answers the state machine: {actions: [{action, from, to, stay,
// roles, reason_required, unit_required, own_unit}], states, report_roles}.
export function workflow() {
  return memo('workflow', () => get('/api/v1/cases/workflow'));
}

// deadlines answers the deadline table in use.
export function deadlines() {
  return memo('deadlines', async () => (await get('/api/v1/cases/config/deadlines')).config);
}

// limitFor picks the handling limit a case will get at dispatch, the same
// way the server's deadline table does (data/cases/config.go For): the
// matching row with the most fields set wins, urgency over all others;
// else the default.
export function limitFor(table, c) {
  if (!table) return null;
  let best = null;
  let bestScore = -1;
  for (const r of table.rules || []) {
    let score = 0;
    let ok = true;
    for (const [rule, v] of [[r.kind, c.kind], [r.category, c.category], [r.condition, c.condition], [r.area_class, c.area_class], [r.urgency, c.urgency]]) {
      if (!rule) continue;
      if (rule === v) score++;
      else { ok = false; break; }
    }
    if (!ok) continue;
    if (r.urgency) score += 10;
    if (score > bestScore) { best = r; bestScore = score; }
  }
  return best ? best.limit : table.default;
}

// locate names where a point lies (grid, community, street, district and
// management grids with their units).
export function locate(lon, lat) {
  return memo(`locate/${lon},${lat}`, async () => {
    const l = await get('/api/v1/locate' + query({ lon, lat }));
    if (l.community) names.communities[l.community.code] = l.community.name;
    if (l.street) names.streets[l.street.code] = l.street.name;
    return l;
  });
}

// responsible asks who must handle a case of this category at this point.
export async function responsible(c) {
  const r = await get('/api/v1/responsible' + query({ lon: c.lon, lat: c.lat, kind: c.kind, category: c.category, component: c.component }));
  if (r.unit && r.unit.name) names.units[r.unit.code] = r.unit.name;
  for (const cand of r.candidates || []) if (cand.unit && cand.name) names.units[cand.unit] = cand.name;
  return r;
}

// hasRole reports whether the session acts in one of roles (admin: any).
export function hasRole(...roles) {
  const mine = actingRoles();
  return mine.includes('admin') || roles.some((r) => mine.includes(r));
}
