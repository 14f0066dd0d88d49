// Browser test of live edits: starts the real citygrid binary on a small
// demo city, opens the map page at z17 over a component, adds a component
// next to it with `citygrid import` from another process, and waits until
// the page (which follows TileJSON's data version) renders the new one —
// no reload, no restart. Saves test/artifacts/map-live-edit.png.
// Run: node --test test/browser/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const artifacts = join(root, 'test', 'artifacts');
const ready = existsSync(chromiumPath) && existsSync(join(root, 'api/web/node_modules/maplibre-gl/dist/maplibre-gl.mjs'));
const skip = ready ? false : process.env.CI === 'true' ? false : 'chromium or api/web/node_modules missing';

let work, bin, dir, server, base, browser;

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

async function waitHealthy(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { if ((await fetch(url)).ok) return; } catch { /* not up yet */ }
    if (server.exitCode !== null) throw new Error(`citygrid exited with ${server.exitCode}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not healthy after ${ms} ms`);
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'citygrid-browser-live-'));
  bin = join(work, 'citygrid');
  dir = join(work, 'city');
  execFileSync('go', ['build', '-o', bin, './cmd/citygrid'], { cwd: root, stdio: 'inherit' });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ['demo', '--dir', dir, '--addr', `127.0.0.1:${port}`, '--scale', '0.05', '--seed', '7'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr.on('data', (d) => { log = (log + d).slice(-4000); });
  server.on('exit', (code) => { if (code) console.error(log); });
  await waitHealthy(`${base}/healthz`, 180000);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

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
