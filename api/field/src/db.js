// A small promise wrapper over IndexedDB: the outbox (reports, task
// results, edits waiting to be sent, with their photos as Blobs), the
// position samples not yet uploaded, and small settings.
const DB_NAME = 'citygrid-field';
const STORES = ['outbox', 'positions', 'settings'];

let opening;
function open() {
  opening ||= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const s of STORES) if (!db.objectStoreNames.contains(s)) db.createObjectStore(s, { keyPath: s === 'settings' ? 'name' : 'id', autoIncrement: s === 'positions' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opening;
}

async function run(store, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const out = fn(tx.objectStore(store));
    tx.oncomplete = () => resolve(out && 'result' in out ? out.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const put = (store, v) => run(store, 'readwrite', (s) => s.put(v));
export const del = (store, id) => run(store, 'readwrite', (s) => s.delete(id));
export const all = (store) => run(store, 'readonly', (s) => s.getAll());
export const getOne = (store, id) => run(store, 'readonly', (s) => s.get(id));
export const delMany = (store, ids) => run(store, 'readwrite', (s) => { for (const id of ids) s.delete(id); });
