// The category catalogue for the picker: from the server's Open311
// service list (cached on the phone for offline use), searchable by name,
// code, full pinyin (jingai) or initials (jg), with the inspector's recent
// choices first.
import { pinyin } from 'pinyin-pro';
import { get } from './api.js';

const CACHE = 'citygrid.field.categories';
const RECENT = 'citygrid.field.recent';

export async function loadCategories() {
  let list;
  try {
    list = await get('/open311/v2/services.json');
    localStorage.setItem(CACHE, JSON.stringify(list));
  } catch (e) {
    list = JSON.parse(localStorage.getItem(CACHE) || 'null');
    if (!list) throw e;
  }
  return list.map((s) => {
    const kind = s.service_code.startsWith('C') ? 'component' : 'event';
    const code = s.service_code.slice(1);
    const syll = pinyin(s.service_name, { toneType: 'none', type: 'array' });
    return { kind, code, name: s.service_name, group: s.group || '', py: syll.join('').toLowerCase(), initials: syll.map((x) => x[0] || '').join('').toLowerCase() };
  });
}

export function matches(c, typed) {
  const q = typed.trim().toLowerCase().replace(/\s+/g, '');
  if (!q) return true;
  return c.name.includes(q) || c.code.startsWith(q) || c.py.includes(q) || c.initials.startsWith(q) || c.group.includes(q);
}

export function recent() {
  try { return JSON.parse(localStorage.getItem(RECENT) || '[]'); } catch { return []; }
}

export function remember(c) {
  const key = `${c.kind}/${c.code}`;
  const list = [key, ...recent().filter((k) => k !== key)].slice(0, 8);
  localStorage.setItem(RECENT, JSON.stringify(list));
}

export const kindNames = { component: '部件', event: '事件' };
