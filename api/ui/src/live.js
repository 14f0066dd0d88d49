// One stream of case changes for the whole page (GET /api/v1/case-events,
// server-sent events read with fetch so the session cookie goes along).
// Screens subscribe and reload their queues; the stream reconnects after
// the server closes it, and stops on 401 (the sign-in page takes over).
import { reactive } from 'vue';

// wanted: some screen listens (the indicator shows only then).
export const liveState = reactive({ connected: false, wanted: false, last: null });
const listeners = new Set();
let running = false;
let controller = null;

// onCaseEvent calls fn with every case event ({type, id, number, action,
// state, unit, ...}); it answers the function that unsubscribes.
export function onCaseEvent(fn) {
  listeners.add(fn);
  start();
  return () => listeners.delete(fn);
}

// stopLive ends the stream (sign-out).
export function stopLive() {
  running = false;
  if (controller) controller.abort();
  liveState.connected = false;
  liveState.wanted = false;
}

async function start() {
  if (running) return;
  running = true;
  liveState.wanted = true;
  let delay = 2000;
  while (running) {
    controller = new AbortController();
    try {
      const res = await fetch('/api/v1/case-events', { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'text/event-stream' }, signal: controller.signal });
      if (res.status === 401 || res.status === 403) { running = false; break; }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      liveState.connected = true;
      delay = 2000;
      await read(res.body);
    } catch { /* reconnect below */ }
    liveState.connected = false;
    if (!running) break;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 30000);
  }
}

async function read(stream) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (event !== 'case' || !data.length) continue;
      let ev;
      try { ev = JSON.parse(data.join('\n')); } catch { continue; }
      liveState.last = ev;
      for (const fn of listeners) {
        try { fn(ev); } catch { /* one screen's error must not stop the others */ }
      }
    }
  }
}
