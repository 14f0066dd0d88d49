// 城管通 for a surveyor in real Chromium with phone emulation: offline he
// moves a component and marks it damaged; meanwhile the centre edits the
// same component; back online his edit is refused with 412 and the app
// shows both versions; he keeps his. The component then has his position
// and status with the history of all three versions, and the vector tile
// at the new place holds it there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { artifacts, demoPassword, launchBrowser, root, skipUnless, startCity, stopCity } from './harness.mjs';

const skip = skipUnless(['api/field/dist/index.html', 'test/browser/node_modules/@mapbox/vector-tile'], 'the built field app or the tile decoder');

async function apiSession(base, username, password) {
  const r = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  assert.ok(r.ok, `sign in ${username}: ${r.status}`);
  const { csrf_token: csrf } = await r.json();
  const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return (method, path, body, headers = {}) => fetch(base + path, {
    method, body: body && JSON.stringify(body),
    headers: { Cookie: cookie, 'X-CSRF-Token': csrf, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
  });
}

function tileOf(lon, lat, z) {
  const n = 2 ** z, r = (lat * Math.PI) / 180;
  return [Math.floor(((lon + 180) / 360) * n), Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)];
}

test('a surveyor opens a component, edits it offline, meets the centre\'s edit as a conflict and keeps his; the tile follows', { skip, timeout: 600000 }, async () => {
  mkdirSync(artifacts, { recursive: true });
  const shot = (page, name) => page.screenshot({ path: join(artifacts, `field-survey-${name}.png`) });
  let city, browser;
  try {
    city = await startCity('citygrid-survey-');
    const { base } = city;
    const password = demoPassword(city.printed());
    const centre = await apiSession(base, 'admin', password);
    const list = await (await centre('GET', '/api/v1/components?limit=500')).json();
    const comp = list.features.filter((f) => f.geometry.type === 'Point')[40];
    const code = comp.properties.code;
    const [lon, lat] = comp.geometry.coordinates;
    const v0 = comp.properties.version;

    browser = await launchBrowser();
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai', geolocation: { longitude: lon, latitude: lat, accuracy: 5 }, permissions: ['geolocation'],
    });
    const page = await phone.newPage();
    await page.goto(`${base}/field/`);
    await page.getByPlaceholder('如 jdy00101').fill('pcy01');
    await page.getByPlaceholder('密码').fill(password);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByText('部件普查', { exact: true }).first().waitFor();
    // The components on screen are on the phone.
    await page.waitForFunction((c) => new Promise((res) => {
      const r = indexedDB.open('citygrid-field');
      r.onsuccess = () => { const g = r.result.transaction('settings').objectStore('settings').get('survey-components'); g.onsuccess = () => res(!!g.result?.byCode?.[c]); };
    }), code, { timeout: 30000 });
    await shot(page, '1-map');

    const tapAt = async (plon, plat) => {
      const box = await page.locator('.map').boundingBox();
      const pt = await page.evaluate(([a, b]) => { const p = window.fieldMap.project([a, b]); return { x: p.x, y: p.y }; }, [plon, plat]);
      await page.touchscreen.tap(box.x + pt.x, box.y + pt.y);
    };
    await page.evaluate(([a, b]) => window.fieldMap.jumpTo({ center: [a, b], zoom: 18 }), [lon, lat]);
    await page.waitForTimeout(500);
    await tapAt(lon, lat);
    await page.waitForTimeout(1000);
    await shot(page, '1b-tapped');
    await page.getByText(code).first().waitFor();
    await phone.setOffline(true);
    await page.getByText('离线', { exact: true }).waitFor();
    await page.getByRole('radio', { name: '破损' }).click();
    await page.locator('[data-test=move]').click();
    const to = [lon + 0.0001, lat]; // ~9.5 m east
    await page.locator('.van-overlay').first().waitFor({ state: 'hidden' });
    await page.waitForTimeout(400);
    await tapAt(to[0], to[1]);
    await page.getByText(/移到/).waitFor();
    await shot(page, '2-edit-offline');
    await page.locator('[data-test=save]').click();
    await page.getByText('发件箱', { exact: true }).last().click();
    await page.getByText('等待发送').waitFor();

    // Meanwhile the centre changes its note.
    const cur = await centre('GET', `/api/v1/components/${code}`);
    const etag = cur.headers.get('ETag');
    const edit = await centre('PATCH', `/api/v1/components/${code}`, { type: 'Feature', geometry: comp.geometry, properties: { note: '中心核对：位置待确认' } }, { 'If-Match': etag });
    assert.equal(edit.status, 200, `centre edit: ${await edit.text()}`);

    await phone.setOffline(false);
    await page.getByText('编辑冲突').waitFor({ timeout: 30000 });
    await page.getByText('中心核对：位置待确认').waitFor();
    await shot(page, '3-conflict');
    await page.getByRole('button', { name: '用我的修改覆盖' }).click();
    await page.locator('[data-test=outbox-empty]').waitFor({ timeout: 30000 });

    const after = await (await centre('GET', `/api/v1/components/${code}`)).json();
    assert.equal(after.properties.status, 'damaged');
    assert.equal(after.properties.version, v0 + 2, 'the centre\'s edit and his: two versions');
    assert.ok(Math.abs(after.geometry.coordinates[0] - to[0]) < 1e-5 && Math.abs(after.geometry.coordinates[1] - to[1]) < 1e-5, `moved to ${after.geometry.coordinates}`);
    const hist = await (await centre('GET', `/api/v1/components/${code}/history`)).json();
    assert.ok(JSON.stringify(hist).includes('中心核对'), 'the centre\'s version is in the history');

    // The tile at the new place holds the component there.
    const z = 16;
    const [x, y] = tileOf(to[0], to[1], z);
    const res = await fetch(`${base}/tiles/city/${z}/${x}/${y}.mvt`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(res.status, 200);
    let buf = Buffer.from(await res.arrayBuffer());
    if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
    const file = join(city.work, 'tile.mvt');
    writeFileSync(file, buf);
    const layers = JSON.parse(execFileSync('node', [join(root, 'test/browser/decode-tile.mjs'), file, z, x, y]));
    const f = (layers.components?.features || []).find((g) => g.properties.code === code);
    assert.ok(f, `component ${code} in tile ${z}/${x}/${y}`);
    const [tl, tb] = f.geometry.coordinates;
    assert.ok(Math.abs(tl - to[0]) < 2e-6 && Math.abs(tb - to[1]) < 2e-6, `tile point ${tl},${tb} at the new place`);
  } catch (e) {
    if (city) console.error(city.log().slice(-3000));
    throw e;
  } finally {
    await stopCity(browser, city?.server, city?.work);
  }
});
