// The service worker of 城管通: it precaches the app shell of its build at
// install (the list is written in by vite.config.js), answers the app's
// own files from the cache (so the app starts with the network off) and
// keeps a copy of map styles, fonts and tiles it has fetched, answered
// from the network first and from the copy when offline. API calls are
// never cached: the outbox in IndexedDB holds what waits to be sent.
const VERSION = '__VERSION__';
const SHELL = __SHELL__;
const SHELL_CACHE = `field-shell-${VERSION}`;
const MAP_CACHE = 'field-map';
const BASE = new URL('./', self.location).pathname; // /field/

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll(SHELL.map((f) => new Request(new URL(f, self.location).href, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const k of await caches.keys()) {
      if (k.startsWith('field-shell-') && k !== SHELL_CACHE) await caches.delete(k);
    }
    await self.clients.claim();
  })());
});

const mapPrefixes = ['/styles/', '/fonts/', '/tiles/'];

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith(BASE)) {
    event.respondWith(shell(req, url));
  } else if (mapPrefixes.some((p) => url.pathname.startsWith(p))) {
    event.respondWith(networkFirst(req, MAP_CACHE));
  }
});

// shell answers the app's files from the precache; a screen path (no
// extension) gets index.html; anything else goes to the network.
async function shell(req, url) {
  const cache = await caches.open(SHELL_CACHE);
  const last = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  const key = last.includes('.') ? req : new URL('index.html', self.location).href;
  const hit = await cache.match(key, { ignoreSearch: true });
  if (hit) return hit;
  return fetch(req);
}

async function networkFirst(req, name) {
  const cache = await caches.open(name);
  try {
    const res = await fetch(req);
    if (res.ok) cache.put(req, res.clone());
    return res;
  } catch (e) {
    const hit = await cache.match(req);
    if (hit) return hit;
    throw e;
  }
}
