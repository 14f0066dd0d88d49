// 城管通 in real Chromium with phone emulation: an inspector signs in,
// goes on duty (his position reaches the centre), loses the network,
// reports a problem with a photo and the component he found, and gets the
// network back; the first send's answer is lost on the way and the outbox
// sends again: exactly one case arrives, in the unit grid of where he
// stood, with its photo and component. The centre's /command shows him;
// the app opens again with the network off (service worker).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { artifacts, demoPassword, launchBrowser, signIn, skipUnless, startCity, stopCity } from './harness.mjs';

const skip = skipUnless(['api/field/dist/index.html', 'api/field/dist/sw.js'], 'the built field app (npm ci --prefix api/field && npm run build --prefix api/field)');

// session signs in over the API from the test itself (the independent
// reader of what arrived) and answers a GET function with its cookie.
async function session(base, username, password) {
  const r = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  assert.ok(r.ok, `sign in ${username}: ${r.status}`);
  const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return async (path) => {
    const res = await fetch(base + path, { headers: { Cookie: cookie } });
    assert.ok(res.ok, `${path}: ${res.status} ${await res.clone().text()}`);
    return res.json();
  };
}

test('an inspector reports offline; one case arrives after a lost answer; the centre sees him; the app starts offline', { skip, timeout: 600000 }, async () => {
  mkdirSync(artifacts, { recursive: true });
  const shot = (page, name) => page.screenshot({ path: join(artifacts, `field-${name}.png`), fullPage: false });
  let city, browser;
  try {
    city = await startCity('citygrid-field-');
    const { base } = city;
    const password = demoPassword(city.printed());
    const inspector = city.printed().match(/\b(jdy\d+)\b/)[1];
    const sup = await session(base, 'zbz01', password);

    // A surveyed point component to stand next to (5 m north of it).
    const list = await sup('/api/v1/components?limit=500');
    const comp = (list.features || []).find((f) => f.geometry.type === 'Point' && f.properties.unit_grid);
    assert.ok(comp, 'the demo city has a point component');
    const [clon, clat] = comp.geometry.coordinates;
    const here = { longitude: clon, latitude: clat + 0.000045, accuracy: 8 };
    const loc = await sup(`/api/v1/locate?lon=${here.longitude}&lat=${here.latitude}&crs=wgs84`);
    const wantGrid = loc.unit_grid.code;
    const marker = `现场测试 ${Date.now()}`;

    browser = await launchBrowser();
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
      locale: 'zh-CN', timezoneId: 'Asia/Shanghai', geolocation: here, permissions: ['geolocation'],
      userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36',
    });
    const page = await phone.newPage();
    await page.goto(`${base}/field/`);
    await page.getByPlaceholder('如 jdy00101').fill(inspector);
    await page.getByPlaceholder('密码').fill(password);
    await shot(page, '1-signin');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByText('巡查', { exact: true }).first().waitFor();

    // 上班: the duty change and the first position reach the server.
    await page.getByRole('button', { name: '上班' }).click();
    await page.getByRole('button', { name: '下班' }).waitFor();
    let seen;
    for (let i = 0; i < 40; i++) {
      seen = (await sup('/api/v1/inspectors/positions')).inspectors.find((x) => x.user === inspector);
      if (seen?.position) break;
      await page.waitForTimeout(250);
    }
    assert.ok(seen?.on_duty && seen.position, `the centre sees ${inspector} on duty with a position: ${JSON.stringify(seen)}`);
    assert.ok(Math.abs(seen.position.lon - here.longitude) < 1e-6 && Math.abs(seen.position.lat - here.latitude) < 1e-6, 'WGS84 stored as sent');
    assert.equal(seen.unit_grid, wantGrid);
    await page.getByText('待上传').waitFor();
    await shot(page, '2-on-duty');
    // The components around him are on the phone before the network goes.
    await page.waitForFunction(() => new Promise((res) => {
      const r = indexedDB.open('citygrid-field');
      r.onsuccess = () => { const g = r.result.transaction('settings').objectStore('settings').get('components'); g.onsuccess = () => res(!!g.result && g.result.list.length > 0); };
    }), null, { timeout: 20000 });

    // Offline: report with a photo and the component found nearby.
    await phone.setOffline(true);
    await page.getByText('离线', { exact: true }).waitFor();
    await page.getByText('上报', { exact: true }).click();
    const photo = await page.screenshot({ type: 'png' });
    await page.locator('[data-test=album]').setInputFiles({ name: 'scene.png', mimeType: 'image/png', buffer: photo });
    await page.getByText(/1 张照片，已在手机上压缩/).waitFor();
    await page.locator('[data-test=category]').click();
    await page.getByRole('tab', { name: '部件' }).click();
    await page.getByPlaceholder(/名称、拼音或首字母/).fill(comp.properties.category);
    await page.locator('.van-popup .van-cell').filter({ hasText: `部件 · ` }).filter({ hasText: comp.properties.category }).first().click();
    const near = page.locator('[data-test=nearby]').filter({ hasText: comp.properties.code });
    await near.waitFor();
    await near.click();
    await page.locator('[data-test=description] textarea').fill(marker);
    await shot(page, '3-report-offline');
    await page.locator('[data-test=submit]').click();
    await page.locator('[data-test=outbox-item]').filter({ hasText: '问题上报' }).waitFor();
    await page.getByText('等待发送').first().waitFor();
    await shot(page, '4-outbox-offline');

    // Back online, and the answer to the first send is lost on the way.
    let lost = 0;
    await page.route('**/api/v1/cases', async (route) => {
      if (route.request().method() === 'POST' && lost === 0) {
        lost++;
        await route.fetch(); // the server makes the case ...
        return route.abort('connectionreset'); // ... and the phone never hears of it
      }
      return route.continue();
    });
    await phone.setOffline(false);
    for (let i = 0; i < 80 && lost === 0; i++) await page.waitForTimeout(250);
    assert.equal(lost, 1, 'the first send reached the server');
    await page.unroute('**/api/v1/cases');
    await page.getByRole('button', { name: '立即发送' }).click().catch(() => {}); // else the 20 s timer sends it
    await page.locator('[data-test=outbox-empty]').waitFor({ timeout: 60000 });
    await shot(page, '5-outbox-sent');

    const found = (await sup('/api/v1/cases?limit=200')).cases.filter((c) => c.description === marker);
    assert.equal(found.length, 1, `cases with the report's text: ${found.length}`);
    const c = found[0];
    assert.equal(c.unit_grid, wantGrid);
    assert.equal(c.component, comp.properties.code);
    assert.equal(c.source, 'inspector');
    const atts = (await sup(`/api/v1/cases/${c.id}/attachments`)).attachments;
    assert.equal(atts.length, 1);
    assert.equal(atts[0].type, 'image/jpeg', 'the photo was compressed to JPEG on the phone');

    // The centre's screen shows him.
    const desk = await browser.newContext({ viewport: { width: 1600, height: 900 } });
    await signIn(desk, base, 'zbz01', password, '/command');
    const cmd = await desk.newPage();
    await cmd.goto(`${base}/command`);
    await cmd.waitForFunction(() => window.commandState && window.commandState.inspectors >= 1, null, { timeout: 30000 });
    assert.ok(await cmd.locator('#f-inspectors').isChecked());
    await cmd.evaluate(([lon, lat]) => window.commandMap.jumpTo({ center: [lon, lat], zoom: 16 }), [here.longitude, here.latitude]);
    await cmd.waitForTimeout(1500);
    const drawn = await cmd.evaluate(() => window.commandMap.queryRenderedFeatures({ layers: ['inspectors'] }).map((f) => f.properties.user));
    assert.ok(drawn.includes(inspector), `inspector drawn on the command map: ${drawn}`);
    await cmd.screenshot({ path: join(artifacts, 'field-6-command.png') });

    // The app again, network off: the service worker serves it.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await phone.setOffline(true);
    const again = await phone.newPage();
    await again.goto(`${base}/field/`);
    await again.getByText('巡查', { exact: true }).first().waitFor({ timeout: 15000 });
    await again.getByText('离线', { exact: true }).waitFor();
    await shot(again, '7-offline-start');
  } catch (e) {
    if (city) console.error(city.log().slice(-3000));
    throw e;
  } finally {
    await stopCity(browser, city?.server, city?.work);
  }
});
