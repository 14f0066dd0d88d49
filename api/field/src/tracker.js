// 上班/下班 and the position samples taken while on duty: one every 30 s
// and one whenever the phone moved 20 m or more, stored on the phone and
// uploaded in batches (at most one upload a minute, at once when 20 wait,
// and when the network returns). Browsers' Geolocation gives WGS84; the
// batches say so (crs: wgs84) and the server converts.
import { reactive } from 'vue';
import * as db from './db.js';
import { request, net } from './api.js';
import { add } from './outbox.js';
import { cacheAround, metres as dist } from './nearby.js';

export const SAMPLE_EVERY_MS = 30_000;
export const MOVE_M = 20;
const UPLOAD_EVERY_MS = 60_000;
const UPLOAD_AT = 20;
const BATCH = 500;
export const CRS = 'wgs84';

export const tracker = reactive({ onDuty: false, since: null, last: null, waiting: 0, uploaded: 0, error: '' });

let watchId = null;
let timer = null;
let uploadTimer = null;
let lastSample = null;

export async function restoreDuty() {
  const s = await db.getOne('settings', 'duty');
  if (s && s.on) start(s.since, false);
  tracker.waiting = (await db.all('positions')).length;
}

// setDuty records 上班 (on) or 下班 through the outbox (with the time it
// was pressed) and starts or stops sampling.
export async function setDuty(on) {
  const at = new Date().toISOString();
  await db.put('settings', { name: 'duty', on, since: at });
  await add('duty', on ? '上班' : '下班', { body: { on_duty: on, at } });
  if (on) start(at, true);
  else stop();
}

function start(since, fresh) {
  tracker.onDuty = true;
  tracker.since = since;
  if (!navigator.geolocation) {
    tracker.error = '此设备无法定位';
    return;
  }
  watchId = navigator.geolocation.watchPosition(onFix, (e) => { tracker.error = `定位失败：${e.message}`; }, { enableHighAccuracy: true, maximumAge: 10_000 });
  timer = setInterval(() => navigator.geolocation.getCurrentPosition(onFix, () => {}, { enableHighAccuracy: true, maximumAge: 15_000, timeout: 20_000 }), SAMPLE_EVERY_MS);
  uploadTimer = setInterval(upload, UPLOAD_EVERY_MS);
  if (fresh) navigator.geolocation.getCurrentPosition(onFix, () => {}, { enableHighAccuracy: true, timeout: 20_000 });
}

async function stop() {
  tracker.onDuty = false;
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  clearInterval(timer);
  clearInterval(uploadTimer);
  watchId = null;
  await upload();
}

// onFix keeps a sample when 30 s passed (periodic) or the phone moved.
async function onFix(pos) {
  if (!tracker.onDuty) return;
  const s = { lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy: Math.round(pos.coords.accuracy || 0), at: new Date(pos.timestamp || Date.now()).toISOString() };
  tracker.last = s;
  if (lastSample && lastSample.at === s.at) return;
  const due = !lastSample || Date.parse(s.at) - Date.parse(lastSample.at) >= SAMPLE_EVERY_MS;
  const moved = lastSample && dist(lastSample.lon, lastSample.lat, s.lon, s.lat) >= MOVE_M;
  if (!due && !moved) return;
  const first = !lastSample;
  lastSample = s;
  await db.put('positions', s);
  tracker.waiting++;
  // The first sample goes at once, so the centre sees him from 上班 on,
  // with the components around him kept for offline reports.
  if (first || tracker.waiting >= UPLOAD_AT) upload();
  if (first && net.online) cacheAround(s.lon, s.lat).catch(() => {});
}

let uploading = null;

// upload sends the stored samples in batches of up to 500; a batch sent
// twice is harmless (the server keeps one sample per time).
export function upload() {
  if (uploading || !net.online) return uploading;
  uploading = (async () => {
    try {
      let rows = await db.all('positions');
      while (rows.length) {
        const batch = rows.slice(0, BATCH);
        await request('POST', '/api/v1/inspectors/me/positions', {
          body: { crs: CRS, positions: batch.map(({ lon, lat, at, accuracy }) => ({ lon, lat, at, accuracy })) },
          headers: { 'Idempotency-Key': `pos-${batch[0].id}-${batch[batch.length - 1].id}-${batch[0].at}` },
        });
        await db.delMany('positions', batch.map((r) => r.id));
        tracker.uploaded += batch.length;
        rows = rows.slice(BATCH);
      }
      tracker.error = '';
    } catch (e) {
      if (!e.offline) tracker.error = `位置上传失败：${e.message}`;
    } finally {
      tracker.waiting = (await db.all('positions')).length;
      uploading = null;
    }
  })();
  return uploading;
}
