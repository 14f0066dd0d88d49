// The outbox: every report, task result, component edit and duty change
// is first stored on the phone (IndexedDB) and then sent, in the order it
// was made, with an idempotency key per request, so that a send repeated
// after a lost answer never makes a second case or a second edit. What
// failed stays visible with the reason; what only lacked the network is
// sent again when it returns.
import { reactive } from 'vue';
import * as db from './db.js';
import { request, net, errorText, newKey, session } from './api.js';

export const outbox = reactive({ items: [], sending: false, lastError: '' });

export async function loadOutbox() {
  const items = await db.all('outbox');
  items.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  outbox.items = items;
}

// add stores a new item and tries to send at once.
export async function add(kind, title, payload) {
  const item = { id: newKey(), kind, title, createdAt: new Date().toISOString(), user: session.user?.username || '', state: 'pending', error: '', attempts: 0, ...payload };
  await db.put('outbox', toStored(item));
  await loadOutbox();
  flush();
  return item.id;
}

// toStored drops Vue's proxies (IndexedDB clones plain objects only).
function toStored(item) {
  const { photos, ...rest } = item;
  const plain = JSON.parse(JSON.stringify(rest));
  if (photos) plain.photos = [...photos];
  return plain;
}

async function save(item) {
  await db.put('outbox', toStored(item));
}

export async function remove(id) {
  await db.del('outbox', id);
  await loadOutbox();
}

// retry puts a failed item back in line.
export async function retry(id) {
  const item = outbox.items.find((i) => i.id === id);
  if (!item) return;
  item.state = 'pending';
  item.error = '';
  await save(item);
  flush();
}

// resolveConflict settles an edit refused with 412: 'mine' sends the
// surveyor's version again over the server's current one, 'theirs' drops
// his.
export async function resolveConflict(id, choice) {
  const item = outbox.items.find((i) => i.id === id);
  if (!item) return;
  if (choice === 'theirs') return remove(id);
  item.ifMatch = item.server.etag;
  item.key = newKey(); // a new request: the old key answered 412
  item.state = 'pending';
  item.error = '';
  item.server = null;
  await save(item);
  flush();
}

let running = null;

// flush sends what waits, one item after the other; it stops at the first
// item that cannot be sent for want of network.
export function flush() {
  if (running) return running;
  running = (async () => {
    outbox.sending = true;
    try {
      await loadOutbox();
      for (const item of outbox.items) {
        if (item.state !== 'pending' && item.state !== 'retry') continue;
        if (!net.online) break;
        const ok = await sendOne(item);
        if (ok === 'stop') break;
      }
    } finally {
      outbox.sending = false;
      running = null;
      await loadOutbox();
    }
  })();
  return running;
}

// sendOne runs the item's remaining steps; it answers 'stop' when the
// network or the session is missing (try later), else true/false.
async function sendOne(item) {
  item.attempts++;
  try {
    await steps[item.kind](item);
    await db.del('outbox', item.id);
    return true;
  } catch (e) {
    item.error = errorText(e);
    if (e.offline) {
      item.state = 'pending';
      await save(item);
      return 'stop';
    }
    if (e.status === 401) {
      item.state = 'pending';
      outbox.lastError = item.error;
      await save(item);
      return 'stop';
    }
    if (e.status === 412 && item.kind === 'edit') {
      item.state = 'conflict';
      item.server = await serverVersion(item.code);
    } else if (e.status >= 500 || e.status === 429) {
      item.state = 'retry'; // sent again at the next flush
    } else {
      item.state = 'failed';
    }
    item.error = `${item.error}${e.status ? `（${e.status}）` : ''}`;
    await save(item);
    return false;
  }
}

async function serverVersion(code) {
  try {
    const res = await request('GET', `/api/v1/components/${encodeURIComponent(code)}`);
    return { etag: res.headers.get('ETag'), feature: res.data };
  } catch (e) {
    return { etag: '', feature: null, error: errorText(e) };
  }
}

// upload sends the item's photos not yet sent to case id.
async function upload(item, caseId) {
  const photos = item.photos || [];
  for (let i = item.photosSent || 0; i < photos.length; i++) {
    await request('POST', `/api/v1/cases/${caseId}/attachments`, {
      body: photos[i], headers: { 'Content-Type': photos[i].type || 'image/jpeg', 'Idempotency-Key': `${item.id}-photo-${i}` },
    });
    item.photosSent = i + 1;
    await save(item);
  }
}

const steps = {
  // A problem report: the case, then its photos.
  async report(item) {
    if (!item.caseId) {
      const { data } = await request('POST', '/api/v1/cases', { body: item.body, headers: { 'Idempotency-Key': item.id } });
      item.caseId = data.id;
      item.caseNumber = data.number;
      await save(item);
    }
    await upload(item, item.caseId);
  },
  // A task result: the photos, then the action (核实/核查).
  async task(item) {
    await upload(item, item.caseId);
    await request('POST', `/api/v1/cases/${item.caseId}/actions/${item.action}`, { body: item.body, headers: { 'Idempotency-Key': item.id } });
  },
  // A component edit with its If-Match.
  async edit(item) {
    const headers = { 'Idempotency-Key': item.key || item.id };
    if (item.ifMatch) headers['If-Match'] = item.ifMatch;
    const path = item.method === 'POST' ? '/api/v1/components' : `/api/v1/components/${encodeURIComponent(item.code)}`;
    await request(item.method, path, { body: item.body, headers });
  },
  // 上班/下班 pressed offline: sent with the time it was pressed.
  async duty(item) {
    await request('PUT', '/api/v1/inspectors/me/duty', { body: item.body, headers: { 'Idempotency-Key': item.id } });
  },
};

export const kindNames = { report: '问题上报', task: '任务结果', edit: '部件编辑', duty: '上下班' };
export const stateNames = { pending: '等待发送', retry: '稍后重试', failed: '发送失败', conflict: '编辑冲突' };
