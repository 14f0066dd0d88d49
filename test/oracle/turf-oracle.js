#!/usr/bin/env node
// Independent oracle for citygrid's Locate: reads layers of polygons and a
// list of points, and writes for every point and layer the codes of all
// polygons that @turf/turf's booleanPointInPolygon (ignoreBoundary: false,
// i.e. boundary counts as inside, like PostGIS ST_Covers) says cover it.
//
// Usage: node turf-oracle.js input.json output.json
//   input:  {"layers": {"<layer>": [{"code": "...", "coordinates": <MultiPolygon coordinates>}, ...]},
//            "points": [[lon, lat], ...]}
//   output: {"turf": "<version>", "covering": {"<layer>": [[codes of point 0], [codes of point 1], ...]}}
//
// A bucket grid over polygon bounding boxes only narrows the candidates;
// every decision is turf's.
'use strict';
const fs = require('fs');
const turf = require('@turf/turf');

function bbox(coords) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const poly of coords) for (const ring of poly) for (const [x, y] of ring) {
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x > maxX) maxX = x;
    if (y > maxY) maxY = y;
  }
  return [minX, minY, maxX, maxY];
}

function buildBuckets(items, n) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const it of items) {
    minX = Math.min(minX, it.bbox[0]); minY = Math.min(minY, it.bbox[1]);
    maxX = Math.max(maxX, it.bbox[2]); maxY = Math.max(maxY, it.bbox[3]);
  }
  const w = (maxX - minX) / n || 1, h = (maxY - minY) / n || 1;
  const cells = Array.from({ length: n * n }, () => []);
  const cx = (x) => Math.min(n - 1, Math.max(0, Math.floor((x - minX) / w)));
  const cy = (y) => Math.min(n - 1, Math.max(0, Math.floor((y - minY) / h)));
  for (const it of items) {
    for (let j = cy(it.bbox[1]); j <= cy(it.bbox[3]); j++)
      for (let i = cx(it.bbox[0]); i <= cx(it.bbox[2]); i++) cells[j * n + i].push(it);
  }
  return (x, y) => cells[cy(y) * n + cx(x)];
}

function main() {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error('usage: node turf-oracle.js input.json output.json');
    process.exit(2);
  }
  const req = JSON.parse(fs.readFileSync(input, 'utf8'));
  const out = { turf: require('@turf/turf/package.json').version, covering: {} };
  for (const [layer, polys] of Object.entries(req.layers)) {
    const items = polys.map((p) => ({ code: p.code, bbox: bbox(p.coordinates), feature: turf.multiPolygon(p.coordinates) }));
    const lookup = buildBuckets(items, Math.max(1, Math.ceil(Math.sqrt(items.length))));
    const res = new Array(req.points.length);
    for (let k = 0; k < req.points.length; k++) {
      const [x, y] = req.points[k];
      const pt = turf.point([x, y]);
      const codes = [];
      for (const it of lookup(x, y)) {
        const b = it.bbox;
        if (x < b[0] || x > b[2] || y < b[1] || y > b[3]) continue;
        if (turf.booleanPointInPolygon(pt, it.feature, { ignoreBoundary: false })) codes.push(it.code);
      }
      res[k] = codes;
    }
    out.covering[layer] = res;
  }
  fs.writeFileSync(output, JSON.stringify(out));
}

main();
