// A screen's queue: loads a page of cases, keeps the selected case (by id)
// across reloads, and reloads when a case event touches what it shows.
import { computed, onBeforeUnmount, reactive, ref } from 'vue';
import { get } from './api.js';
import { onCaseEvent } from './live.js';

// useQueues takes named tabs {key: () => path} and answers the reactive
// state: lists, totals, the active tab, the selected case, reload().
// filter[key] keeps only some cases of a tab; ready() false skips loading
// (a screen still waiting for a choice).
export function useQueues(tabs, { active, filter = {}, ready = () => true } = {}) {
  const state = reactive({ lists: {}, totals: {}, errors: {}, loading: false, active: active || Object.keys(tabs)[0] });
  const selectedId = ref(null);
  const selected = computed(() => (state.lists[state.active] || []).find((c) => c.id === selectedId.value) || null);

  async function reload() {
    if (!ready()) return;
    if (!Object.keys(state.lists).length) state.loading = true;
    await Promise.all(Object.entries(tabs).map(async ([key, path]) => {
      try {
        const page = await get(path());
        let list = page.cases || [];
        if (filter[key]) list = list.filter(filter[key]);
        state.lists[key] = list;
        state.totals[key] = filter[key] ? list.length : page.total ?? list.length;
        state.errors[key] = '';
      } catch (e) {
        state.errors[key] = e.status === 429 ? `请求过多，请 ${e.retryAfter} 秒后刷新` : e.message;
        if (e.status === 429) stopAuto(e.retryAfter);
      }
    }));
    state.loading = false;
    const list = state.lists[state.active] || [];
    if (!list.some((c) => c.id === selectedId.value)) selectedId.value = list.length ? list[0].id : null;
  }

  // Live: the first event reloads at once; events during the next 300 ms
  // are answered by one more reload at its end.
  let timer = null;
  let again = false;
  let pausedUntil = 0;
  function stopAuto(seconds) { pausedUntil = Date.now() + seconds * 1000; }
  function cooldown() {
    timer = setTimeout(() => {
      timer = null;
      if (again) { again = false; reload(); cooldown(); }
    }, 300);
  }
  const off = onCaseEvent(() => {
    if (Date.now() < pausedUntil) return;
    if (timer) { again = true; return; }
    reload();
    cooldown();
  });
  onBeforeUnmount(() => { off(); clearTimeout(timer); });

  function move(delta) {
    const list = state.lists[state.active] || [];
    if (!list.length) return;
    const i = list.findIndex((c) => c.id === selectedId.value);
    const j = Math.min(list.length - 1, Math.max(0, (i < 0 ? 0 : i) + delta));
    selectedId.value = list[j].id;
  }
  function setActive(key) {
    state.active = key;
    const list = state.lists[key] || [];
    selectedId.value = list.length ? list[0].id : null;
  }
  return { state, selectedId, selected, reload, move, setActive };
}

// isTyping reports whether a key event comes from a text field (shortcuts
// stay off there).
export function isTyping(e) {
  const t = e.target;
  if (!t) return false;
  const tag = (t.tagName || '').toLowerCase();
  return tag === 'input' || tag === 'textarea' || tag === 'select' || t.isContentEditable || !!(t.closest && t.closest('.el-message-box, .el-dialog, .el-drawer'));
}

// useKeys installs keyboard shortcuts while the screen is shown: keys maps
// a key (e.key, lower case for letters) to a function.
export function useKeys(keys) {
  const h = (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e)) return;
    const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const fn = keys[k];
    if (fn) { e.preventDefault(); fn(e); }
  };
  window.addEventListener('keydown', h);
  onBeforeUnmount(() => window.removeEventListener('keydown', h));
}
