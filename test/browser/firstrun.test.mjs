// First run as a newcomer, in Debian's chromium through playwright-core:
// a fresh build serves a new demo city; `/` opened while the server is
// still starting shows the Chinese loading page and then the map with no
// manual reload, fitted to the city's bounds; the person signs in, reaches
// /command and /command/report with charts drawn, no error banner and no
// console error. The test asserts on what is shown (the rates the API
// gives, a popup whose text colour differs from its background, the map
// centred on the city) and keeps screenshots at 1920×1080 and 1366×768
// under test/artifacts/firstrun/ (gitignored; CI keeps them).
// Run: node --test test/browser/firstrun.test.mjs
// Needs: npm ci --prefix test/browser, npm ci --prefix api, chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifacts, demoPassword, launchBrowser, root, skipUnless, stopCity } from './harness.mjs';

const skip = skipUnless(['api/node_modules/maplibre-gl/dist/maplibre-gl.mjs', 'api/node_modules/echarts/dist/echarts.min.js'], 'chromium or api/node_modules (npm ci --prefix api)');
const shots = join(artifacts, 'firstrun');

let work, bin, dir, base, server, browser, context;
const consoleErrors = [];

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'citygrid-firstrun-'));
  bin = join(work, 'citygrid');
  dir = join(work, 'city');
  execFileSync('go', ['build', '-o', bin, './cmd/citygrid'], { cwd: root, stdio: 'inherit' });
  browser = await launchBrowser();
  context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${m.location().url}: ${m.text()}`); });
  context.on('weberror', (e) => consoleErrors.push(String(e.error())));
  mkdirSync(shots, { recursive: true });
});

after(() => stopCity(browser, server, work));

// watch records what a page showed over time (loads, titles), so the test
// can tell that the loading page came first and turned into the map by
// itself.
function watch(page) {
  const seen = [];
  page.on('load', async () => { seen.push(await page.title().catch(() => '')); });
  return seen;
}

test('first run: loading page, the map fitted to the city, sign-in, command display and report', { skip, timeout: 420000 }, async () => {
  // Start a new demo city (small, for the test's time) from a working
  // directory outside the checkout: the front-end packages are found anyway.
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ['demo', '--dir', dir, '--addr', `127.0.0.1:${port}`, '--scale', '0.05', '--seed', '7'], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  server.stdout.on('data', (d) => { printed += d; });
  let log = '';
  server.stderr.on('data', (d) => { log = (log + d).slice(-6000); });
  server.on('exit', (code) => { if (code) console.error(log); });
  for (let i = 0; i < 200; i++) {
    try { await fetch(base + '/healthz'); break; } catch { await new Promise((r) => setTimeout(r, 50)); }
  }

  // ---- `/` while starting: the loading page, then the map, no reload.
  const page = await context.newPage();
  await page.setViewportSize({ width: 1366, height: 768 });
  const titles = watch(page);
  const first = await page.goto(base + '/');
  assert.equal(first.status(), 503, 'the server answered / before it was ready: start-up too fast to see the loading page');
  assert.match(await page.locator('h1').textContent(), /正在加载城市数据…/);
  await page.screenshot({ path: join(shots, 'loading-1366.png') });
  // API clients keep JSON meanwhile.
  const api = await fetch(base + '/api/v1/locate?lon=118.78&lat=31.99', { headers: { Accept: 'application/json' } });
  if (api.status === 503) assert.match(api.headers.get('content-type'), /application\/json/);
  await page.waitForFunction(() => window.citygridMap && window.citygridMap.loaded() && window.citygridMap.areTilesLoaded(), null, { timeout: 240000 });
  assert.equal(titles[0], '正在加载城市数据…', `first load was ${titles[0]}`);
  // The loading page is a 503 (with Retry-After), which Chromium logs as
  // a failed load of the document itself; nothing else may fail.
  const starting = consoleErrors.splice(0);
  for (const m of starting) assert.match(m, new RegExp(`^${base}/: Failed to load resource: .* 503 `), `console error while starting: ${m}`);
  assert.ok(titles.includes('城市网格地图'), `the map page never loaded by itself: ${titles}`);

  // ---- the map: fitted to the city's bounds, navigation, Chinese panel.
  const view = await page.evaluate(() => {
    const m = window.citygridMap;
    const b = m.getBounds();
    return { center: m.getCenter(), west: b.getWest(), east: b.getEast(), south: b.getSouth(), north: b.getNorth() };
  });
  const tj = await (await fetch(base + '/tiles/city.json')).json();
  const [w, s, e, n] = tj.bounds;
  const cx = (w + e) / 2;
  const cy = (s + n) / 2;
  assert.ok(Math.abs(view.center.lng - cx) < (e - w) * 0.02 && Math.abs(view.center.lat - cy) < (n - s) * 0.02,
    `map centre ${view.center.lng},${view.center.lat} is not the city's ${cx},${cy}`);
  assert.ok(view.west <= w && view.east >= e && view.south <= s && view.north >= n, `the city ${tj.bounds} is not all in view ${JSON.stringify(view)}`);
  assert.ok((view.east - view.west) < (e - w) * 2.5, 'the map is zoomed far out of the city');
  assert.deepEqual(await page.locator('nav.cg-nav a').allTextContents(), ['地图', '指挥大屏', '月度评价', '工作台']);
  for (const h of await page.locator('#panel h2').allTextContents()) assert.doesNotMatch(h, /[A-Za-z]/, `heading ${h} is not Chinese`);
  await page.screenshot({ path: join(shots, 'map-1366.png') });
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(base + '/');
  await page.waitForFunction(() => window.citygridMap && window.citygridMap.loaded() && window.citygridMap.areTilesLoaded(), null, { timeout: 60000 });
  await page.screenshot({ path: join(shots, 'map-1920.png') });

  // ---- sign in, following the navigation bar to 指挥大屏: the page
  // sends a browser that is not signed in to the sign-in page, which
  // brings it back. The demo printed its accounts and password once.
  await page.click('nav.cg-nav a[data-page="command"]');
  await page.waitForURL(/\/login\?next=/, { timeout: 30000 });
  assert.doesNotMatch(await page.locator('form').first().textContent(), /[A-Za-z]{3,}/, 'the sign-in form is not Chinese');
  await page.fill('#username', 'zbz01');
  await page.fill('#password', demoPassword(printed));
  await Promise.all([page.waitForURL((u) => u.pathname === '/command', { timeout: 30000 }), page.click('#submit')]);

  // ---- /command at 1920×1080: counts, rates, ranking, charts, map.
  await page.waitForFunction(() => window.commandState?.counts && window.commandState.mapReady && window.commandState.monthAt, null, { timeout: 60000 });
  const cookies = (await context.cookies(base)).map((c) => `${c.name}=${c.value}`).join('; ');
  const q = (path) => fetch(base + path, { headers: { Cookie: cookies } }).then((r) => r.json());
  const todayAnswer = await q('/api/v1/stats/today');
  const monthAnswer = await q(`/api/v1/stats?group=street&period=month&date=${todayAnswer.date}`);
  const pct = (v) => (v == null ? '—' : (v * 100).toFixed(1) + '%');
  for (const k of ['closure_rate', 'on_time_closure_rate', 'rework_rate']) {
    const row = page.locator(`#rates tr[data-rate="${k}"]`);
    assert.equal(await row.locator('.month').textContent(), pct(monthAnswer.total[k]), `${k} this month`);
    assert.match(await row.locator('.today').textContent(), /^(\d+\.\d%|—)$/);
    assert.match(await row.locator('.change').textContent(), /^([↑↓] \d+\.\d 个百分点|持平|—)$/);
  }
  assert.equal(Number(await page.locator('#c-open').textContent()), todayAnswer.open, '在办案件 differs from the API');
  assert.ok(await page.locator('#ranking-rows tr').count() >= 3, 'no street ranking');
  assert.match(await page.locator('#ranking-rows tr >> nth=0').textContent(), /^1/);
  await page.click('#ranking .tabs button[data-group="unit"]');
  assert.ok(await page.locator('#ranking-rows tr').count() >= 1, 'no unit ranking');
  for (const id of ['chart-categories', 'chart-grids', 'chart-daily', 'chart-sources']) {
    assert.ok(await page.locator(`#${id} canvas`).count() > 0, `no chart drawn in #${id}`);
  }
  assert.equal(await page.locator('#missing').count(), 0, 'an error banner is shown');
  // 在办 on the map is every open case, whatever its report date.
  assert.ok(await page.evaluate(() => window.commandMap.getSource('cases').tiles[0].includes('state=open') && !window.commandMap.getSource('cases').tiles[0].includes('from=')));
  await page.waitForFunction(() => window.commandMap.loaded() && window.commandMap.areTilesLoaded(), null, { timeout: 60000 });
  const cmdView = await page.evaluate(() => window.commandMap.getCenter());
  assert.ok(Math.abs(cmdView.lng - cx) < (e - w) * 0.05 && Math.abs(cmdView.lat - cy) < (n - s) * 0.05, 'the command map is not on the city');
  // The board fills the screen and does not scroll.
  const fit = await page.evaluate(() => ({ h: document.documentElement.scrollHeight, vh: innerHeight, map: document.getElementById('map').getBoundingClientRect().height }));
  assert.ok(fit.h <= fit.vh && fit.map > 500, `board does not fill 1080: ${JSON.stringify(fit)}`);
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(shots, 'command-1920.png') });

  // The year view of every case: a heatmap (clusters' below zoom 13, the
  // unit grids' above) under cluster markers that
  // never overlap (MapLibre drops the symbols that would collide).
  await page.selectOption('#f-state', '');
  await page.selectOption('#f-days', '365');
  await page.evaluate((b) => window.commandMap.fitBounds(b, { padding: 30, duration: 0 }), [[w, s], [e, n]]);
  await page.waitForTimeout(500);
  await page.waitForFunction(() => window.commandMap.loaded() && window.commandMap.areTilesLoaded(), null, { timeout: 60000 });
  const clusters = await page.evaluate(() => {
    const m = window.commandMap;
    const f = m.queryRenderedFeatures({ layers: ['case-clusters'] });
    const pts = f.map((x) => m.project(x.geometry.coordinates));
    let min = Infinity;
    for (let i = 0; i < pts.length; i++) for (let j = i + 1; j < pts.length; j++) min = Math.min(min, Math.hypot(pts[i].x - pts[j].x, pts[i].y - pts[j].y));
    return { n: f.length, min, heat: m.getZoom() < 13 ? m.getLayer('case-heat-low') !== undefined : m.getLayer('case-density') !== undefined && m.getZoom() < 16, total: f.reduce((a, x) => a + x.properties.count, 0) };
  });
  assert.ok(clusters.n > 0 && clusters.heat, `year view: ${JSON.stringify(clusters)}`);
  assert.ok(clusters.min >= 12, `two cluster markers overlap (${clusters.min.toFixed(1)} px apart)`);
  await page.screenshot({ path: join(shots, 'command-year-1920.png') });
  await page.selectOption('#f-state', 'open');

  // A case popup: zoom onto an open case and click it.
  const at = await page.evaluate(async () => {
    const m = window.commandMap;
    const f = m.queryRenderedFeatures({ layers: ['case-clusters'] });
    if (!f.length) return null;
    m.jumpTo({ center: f[0].geometry.coordinates, zoom: 16.5 });
    await new Promise((r) => m.once('idle', r));
    const c = m.queryRenderedFeatures({ layers: ['cases'] });
    if (!c.length) return null;
    const p = m.project(c[0].geometry.coordinates);
    const box = document.getElementById('map').getBoundingClientRect();
    return [box.left + p.x, box.top + p.y];
  });
  assert.ok(at, 'no case on the command map');
  await page.mouse.click(at[0], at[1]);
  await page.waitForSelector('.maplibregl-popup-content', { timeout: 10000 });
  const popup = await page.evaluate(() => {
    const el = document.querySelector('.maplibregl-popup-content');
    const cs = getComputedStyle(el);
    return { text: el.innerText, color: cs.color, background: cs.backgroundColor };
  });
  assert.notEqual(popup.color, popup.background, `popup text ${popup.color} on ${popup.background}`);
  const lum = (c) => { const [r, g, b] = c.match(/\d+/g).map(Number); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  assert.ok(Math.abs(lum(popup.color) - lum(popup.background)) > 120, `popup text ${popup.color} hard to read on ${popup.background}`);
  assert.match(popup.text, /^案件 \d+ · [\u4e00-\u9fff]+/);
  assert.match(popup.text, /处置单位：/);
  assert.doesNotMatch(popup.text, /\b(dispatched|registered|handled|event|component)\b/, `English in the popup: ${popup.text}`);
  await page.screenshot({ path: join(shots, 'command-popup-1920.png') });

  // 1366×768: still no scrolling, the map and every panel visible.
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto(base + '/command');
  await page.waitForFunction(() => window.commandState?.counts && window.commandState.mapReady && window.commandState.monthAt, null, { timeout: 60000 });
  await page.waitForFunction(() => window.commandMap.loaded() && window.commandMap.areTilesLoaded(), null, { timeout: 60000 });
  const small = await page.evaluate(() => {
    const r = (id) => document.getElementById(id).getBoundingClientRect();
    return { h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth, map: r('map').height, rates: r('rates').bottom, daily: r('chart-daily').height };
  });
  assert.ok(small.h <= 768 && small.w <= 1366 && small.map > 300 && small.rates < 768 && small.daily > 80, `1366×768 layout: ${JSON.stringify(small)}`);
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(shots, 'command-1366.png') });

  // ---- /command/report through the navigation bar.
  for (const [vw, vh] of [[1920, 1080], [1366, 768]]) {
    await page.setViewportSize({ width: vw, height: vh });
    await page.click('nav.cg-nav a[data-page="report"]');
    await page.waitForFunction(() => document.body.dataset.loaded, null, { timeout: 60000 });
    assert.equal(await page.locator('#error').textContent(), '');
    assert.ok(await page.locator('#t-street tbody tr').count() > 0, 'no street rows');
    assert.match(await page.locator('#summary').textContent(), /结案率 \d+\.\d+%/);
    assert.match(await page.locator('#month option:checked').textContent(), /^\d{4} 年 \d{1,2} 月/);
    await page.screenshot({ path: join(shots, `report-${vw}.png`) });
  }
  await page.close();
  assert.deepEqual(consoleErrors, []);
});
