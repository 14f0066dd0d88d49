// Browser test of live edits: starts the real citygrid binary on a small
// demo city, opens the map page at z17 over a component, adds a component
// next to it with `citygrid import` from another process, and waits until
// the page (which follows TileJSON's data version) renders the new one —
// no reload, no restart. Saves test/artifacts/map-live-edit.png.
// Run: node --test test/browser/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifacts, launchBrowser, skipUnless, startCity, stopCity } from './harness.mjs';

const skip = skipUnless(['api/node_modules/maplibre-gl/dist/maplibre-gl.mjs'], 'chromium or api/node_modules (npm ci --prefix api)');

let work, bin, dir, server, base, browser;

before(async () => {
  if (skip) return;
  ({ work, bin, dir, base, server } = await startCity('citygrid-browser-live-'));
  browser = await launchBrowser();
});

after(() => stopCity(browser, server, work));

test('an imported component appears on the open map without a reload', { skip, timeout: 240000 }, async () => {
  const tj = await (await fetch(`${base}/tiles/city.json`)).json();
  const [clon, clat] = tj.center;
  // A point component near the centre, from the store's own export.
  const exported = join(work, 'components.geojson');
  execFileSync(bin, ['export', '--dir', dir, '--layer', 'components', '--out', exported], { stdio: 'inherit' });
  const fc = JSON.parse(readFileSync(exported, 'utf8'));
  const codes = new Set(fc.features.map((f) => f.properties.code));
  let near, best = Infinity;
  for (const f of fc.features) {
    if (f.geometry?.type !== 'Point') continue;
    const [x, y] = f.geometry.coordinates;
    const d = (x - clon) ** 2 + (y - clat) ** 2;
    if (d < best) { best = d; near = f; }
  }
  assert.ok(near, 'no point component');
  const added = structuredClone(near);
  let seq = 999999;
  do { added.properties.code = near.properties.code.slice(0, -6) + String(seq--); } while (codes.has(added.properties.code));
  const [lon, lat] = near.geometry.coordinates;
  added.geometry.coordinates = [lon + 0.00004, lat + 0.00003];

  const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/#17/${lat}/${lon}`);
  await page.waitForFunction(() => window.citygridMap && window.citygridMap.loaded() && window.citygridMap.areTilesLoaded() && window.citygridCheckEdits, null, { timeout: 60000 });
  const rendered = (code) => page.evaluate((c) => window.citygridMap.queryRenderedFeatures({ layers: ['components'] }).some((f) => f.properties.code === c), code);
  assert.ok(await rendered(near.properties.code), `component ${near.properties.code} not rendered before the edit`);
  assert.equal(await rendered(added.properties.code), false);
  const versionBefore = await page.locator('#version').textContent();

  const file = join(work, 'added.geojson');
  writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features: [added] }));
  execFileSync(bin, ['import', '--dir', dir, '--layer', 'components', '--quiet', file], { stdio: 'inherit' });

  // The page polls TileJSON every 3 s; nudge it so the test need not wait.
  const end = Date.now() + 30000;
  while (!(await rendered(added.properties.code))) {
    assert.ok(Date.now() < end, `component ${added.properties.code} not rendered 30 s after the import`);
    await page.evaluate(() => window.citygridCheckEdits());
    await page.waitForTimeout(300);
  }
  assert.notEqual(await page.locator('#version').textContent(), versionBefore, 'the page still names the old data version');
  assert.ok(await rendered(near.properties.code), 'the neighbouring component vanished');
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'map-live-edit.png') });
  assert.deepEqual(errors, []);
  await page.close();
});
