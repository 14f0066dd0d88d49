// Decodes a vector tile with @mapbox/vector-tile, the parser MapLibre and
// Mapbox clients use, and prints its layers as JSON: for each layer its
// version, extent and features with id, type, properties and lon/lat
// GeoJSON geometry. Usage: node decode-tile.mjs FILE Z X Y (the file holds
// the uncompressed tile).
import { readFileSync } from 'node:fs';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader as Pbf } from 'pbf';

const [file, z, x, y] = process.argv.slice(2);
const tile = new VectorTile(new Pbf(readFileSync(file)));
const out = {};
for (const [name, layer] of Object.entries(tile.layers)) {
  const features = [];
  for (let i = 0; i < layer.length; i++) {
    const f = layer.feature(i);
    const gj = f.toGeoJSON(Number(x), Number(y), Number(z));
    const rings = f.type === 3 ? f.loadGeometry() : [];
    // Signed area of each ring in tile coordinates (y down): positive is
    // clockwise on screen, the MVT exterior orientation.
    const areas = rings.map((r) => {
      let s = 0;
      for (let j = 0; j < r.length; j++) {
        const a = r[j], b = r[(j + 1) % r.length];
        s += a.x * b.y - b.x * a.y;
      }
      return s / 2;
    });
    features.push({ id: f.id, type: f.type, properties: f.properties, geometry: gj.geometry, ringAreas: areas });
  }
  out[name] = { version: layer.version, extent: layer.extent, features };
}
process.stdout.write(JSON.stringify(out));
