// Browser test of the map page: builds and starts the real citygrid binary
// on a small demo city, opens the page in Debian's chromium through
// playwright-core, waits for tiles, finds a unit grid and a component with
// queryRenderedFeatures at a known place, clicks the map and saves a
// screenshot under test/artifacts/. Run: node --test test/browser/
// Needs: npm ci --prefix test/browser, npm ci --prefix api, chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { artifacts, launchBrowser, skipUnless, startCity, stopCity } from './harness.mjs';

const skip = skipUnless(['api/node_modules/maplibre-gl/dist/maplibre-gl.mjs'], 'chromium or api/node_modules (npm ci --prefix api)');

let work, server, base, browser;

before(async () => {
  if (skip) return;
  ({ work, base, server } = await startCity('citygrid-browser-'));
  browser = await launchBrowser();
});

after(() => stopCity(browser, server, work));

function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const s = Math.sin((lat * Math.PI) / 180);
  return [Math.floor(((lon + 180) / 360) * n), Math.floor((0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * n)];
}

// roadName is the name of a road in the z14 tile at lon/lat.
async function roadName(lon, lat) {
  const [x, y] = tileOf(lon, lat, 14);
  const res = await fetch(`${base}/tiles/city/14/${x}/${y}.mvt`);
  const vt = new VectorTile(new PbfReader(Buffer.from(await res.arrayBuffer())));
  assert.ok(vt.layers.roads && vt.layers.roads.length, 'no road in the z14 tile at the centre');
  return vt.layers.roads.feature(0).properties.name;
}

// knownPlace decodes the z17 tile at the city's centre and returns a point
// component in it (its lon/lat and code).
async function knownPlace() {
  const tj = await (await fetch(`${base}/tiles/city.json`)).json();
  const [lon, lat] = tj.center;
  for (const z of [17]) {
    const [x, y] = tileOf(lon, lat, z);
    for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1], [1, 1], [-1, -1]]) {
      const res = await fetch(`${base}/tiles/city/${z}/${x + dx}/${y + dy}.mvt`);
      if (res.status !== 200) continue;
      // fetch inflates gzip itself
      const buf = Buffer.from(await res.arrayBuffer());
      const vt = new VectorTile(new PbfReader(buf));
      const comps = vt.layers.components;
      if (!comps) continue;
      for (let i = 0; i < comps.length; i++) {
        const f = comps.feature(i);
        if (f.type !== 1) continue;
        const [plon, plat] = f.toGeoJSON(x + dx, y + dy, z).geometry.coordinates;
        return { lon: plon, lat: plat, code: f.properties.code, category: f.properties.category, road: await roadName(lon, lat), tj };
      }
    }
  }
  throw new Error('no component near the centre');
}

test('the map page shows unit grids and components at a known place', { skip, timeout: 240000 }, async () => {
  const place = await knownPlace();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/#17/${place.lat}/${place.lon}`);
  await page.waitForFunction(() => window.citygridMap && window.citygridMap.loaded() && window.citygridMap.areTilesLoaded(), null, { timeout: 60000 });
  const found = await page.evaluate(({ lon, lat }) => {
    const map = window.citygridMap;
    const p = map.project([lon, lat]);
    const near = [[p.x - 6, p.y - 6], [p.x + 6, p.y + 6]];
    return {
      grids: map.queryRenderedFeatures(p, { layers: ['unit-grids-fill'] }).map((f) => f.properties.code),
      comps: map.queryRenderedFeatures(near, { layers: ['components'] }).map((f) => f.properties.code),
      allGrids: map.queryRenderedFeatures({ layers: ['unit-grids-fill'] }).length,
      point: [p.x, p.y],
    };
  }, place);
  assert.ok(found.allGrids > 0, 'no unit grid rendered');
  assert.ok(found.comps.includes(place.code), `component ${place.code} not rendered at its place: ${found.comps}`);
  const loc = await (await fetch(`${base}/api/v1/locate?lon=${place.lon}&lat=${place.lat}`)).json();
  assert.ok(loc.unit_grid && found.grids.includes(loc.unit_grid.code), `unit grid under the point ${found.grids} does not hold locate's ${JSON.stringify(loc.unit_grid)}`);

  // Clicking the map shows, in Chinese and by name, where the point is,
  // the clicked component and who is responsible for it, and why.
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + found.point[0], box.y + found.point[1]);
  await page.waitForSelector('#location dl', { timeout: 15000 });
  await page.waitForSelector('#responsible .unit-name', { timeout: 15000 });
  const res = await (await fetch(`${base}/api/v1/responsible?lon=${place.lon}&lat=${place.lat}&category=${place.category}&component=${place.code}`)).json();
  assert.equal((await page.locator('#responsible .unit-name').textContent()).trim(), res.unit.name);
  const reason = await page.locator('#responsible .reason').textContent();
  assert.ok(reason.includes(res.unit.name) && reason.endsWith('。'), `reason is not a sentence naming the unit: ${reason}`);
  const panel = await page.locator('#info').textContent();
  for (const want of [loc.unit_grid.code, loc.street.name, loc.community.name, place.code, res.category.name]) {
    assert.ok(panel.includes(want), `the panel does not show ${want}: ${panel.slice(0, 400)}`);
  }
  assert.doesNotMatch(panel, /\b(status|department|intact|category|unit_grid|null|undefined)\b|[{}]/, `raw keys or JSON in the panel: ${panel.slice(0, 400)}`);

  // 责任查询: a category picked from the list by its pinyin initials,
  // then a click on open ground answers for that category.
  await page.click('#category-q');
  await page.keyboard.type('bllj');
  await page.waitForSelector('#category-list li[role=option]');
  const firstOption = await page.locator('#category-list li[role=option] >> nth=0').textContent();
  assert.ok(firstOption.includes('暴露垃圾'), `bllj does not find 暴露垃圾 first: ${firstOption}`);
  await page.keyboard.press('Enter');
  assert.match(await page.locator('#category-name').textContent(), /暴露垃圾（事件 \d{4}/);

  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'map-z17.png') });
  await page.evaluate(({ lon, lat }) => window.citygridMap.jumpTo({ center: [lon, lat], zoom: 14 }), place);
  await page.waitForFunction(() => window.citygridMap.loaded() && window.citygridMap.areTilesLoaded(), null, { timeout: 60000 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(artifacts, 'map-z14.png') });
  // The big-class legend hides a class in every component layer.
  const bigOf = await page.evaluate(() => window.citygridMap.queryRenderedFeatures({ layers: ['components'] })[0]?.properties.big);
  assert.ok(bigOf, 'no component rendered at z14');
  await page.click(`input[data-big="${bigOf}"]`);
  await page.waitForFunction((big) => window.citygridMap.queryRenderedFeatures({ layers: ['components', 'component-clusters'] }).every((f) => f.properties.big !== big), bigOf, { timeout: 15000 });
  await page.click(`input[data-big="${bigOf}"]`);

  // The search box finds a road through the geocoder and marks it.
  await page.fill('#search-q', place.road);
  await page.click('#search-form button');
  await page.waitForSelector('#search-results li');
  assert.ok((await page.locator('#search-results').textContent()).includes(place.road), `search for ${place.road} did not list it`);
  await page.click('#search-results li >> nth=0');
  await page.waitForSelector('.maplibregl-marker');
  assert.deepEqual(errors, []);
  await page.close();
});
