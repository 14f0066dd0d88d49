// The surveyed components around the inspector, kept on the phone so that
// a report made offline can still attach the nearest component of its
// category: fetched (about 1 km around) when he goes on duty and when the
// report form opens online; offline the nearest are found here, by
// distance, as GET /api/v1/nearest finds them on the server.
import * as db from './db.js';
import { get } from './api.js';

const HALF = 0.01; // degrees: about 1 km north–south, 0.95 km east–west

export async function cacheAround(lon, lat) {
  const bbox = [lon - HALF, lat - HALF, lon + HALF, lat + HALF].map((v) => v.toFixed(6)).join(',');
  const r = await get(`/api/v1/within?bbox=${bbox}&crs=wgs84&limit=10000`);
  await db.put('settings', { name: 'components', lon, lat, at: new Date().toISOString(), list: r.components || [] });
  return (r.components || []).length;
}

// nearestLocal answers like /api/v1/nearest from the stored components:
// the k nearest points of category within radius metres.
export async function nearestLocal(lon, lat, category, k, radius) {
  const s = await db.getOne('settings', 'components');
  if (!s) return null;
  return s.list
    .filter((c) => c.category === category && c.geometry?.type === 'Point')
    .map((c) => ({ ...c, distance_m: metres(lon, lat, c.geometry.coordinates[0], c.geometry.coordinates[1]) }))
    .filter((c) => c.distance_m <= radius)
    .sort((a, b) => a.distance_m - b.distance_m)
    .slice(0, k);
}

export function metres(lon1, lat1, lon2, lat2) {
  const r = 6371008.8, rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}
