// Browser test of signing in (登录) and of what leaves the browser: builds
// and starts the real citygrid binary on a small demo city, opens /command
// in Debian's chromium through playwright-core as a person would (sent to
// the sign-in page, signs in as the demo's supervisor with the password
// 'citygrid demo' printed, comes back), then opens /command/report, and
// asserts that no request URL or Referer carries the session secret, the
// CSRF token, the password or any token; that every page answers with the
// security headers; and that a page whose session ended goes to sign in
// once instead of calling the server again and again. Screenshots go under
// test/artifacts/. Run: node --test test/browser/
// Needs: npm ci --prefix test/browser, npm ci --prefix api/web,
// npm ci --prefix api/command, chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { artifacts, demoPassword, launchBrowser, skipUnless, startCity, stopCity } from './harness.mjs';

const skip = skipUnless(['api/node_modules/maplibre-gl/dist/maplibre-gl.mjs', 'api/node_modules/echarts/dist/echarts.min.js'], 'chromium or the api workspace packages (npm ci --prefix api)');

let work, server, base, browser, printed, log;

before(async () => {
  if (skip) return;
  ({ work, base, server, printed, log } = await startCity('citygrid-session-'));
  browser = await launchBrowser();
});

after(() => stopCity(browser, server, work));

test('a person signs in, opens both command pages, and no credential is in a URL or Referer', { skip, timeout: 300000 }, async () => {
  const password = demoPassword(printed());
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const sent = [];
  page.on('request', (r) => sent.push({ url: r.url(), referer: r.headers().referer || '' }));
  const answered = new Map();
  page.on('response', (r) => answered.set(new URL(r.url()).pathname, r.headers()));

  await page.goto(`${base}/command`);
  assert.equal(new URL(page.url()).pathname, '/login', 'not sent to the sign-in page');
  assert.equal(new URL(page.url()).searchParams.get('next'), '/command');
  assert.match(await page.locator('h1').textContent(), /城市管理/);
  // A wrong password is answered in Chinese on the page.
  await page.fill('#username', 'zbz01');
  await page.fill('#password', 'not-the-password-1');
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('message').textContent !== '');
  assert.equal(await page.locator('#message').textContent(), '用户名或密码错误。');
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'signin-wrong-password.png') });
  errors.length = 0; // the console reports that 401 as an error
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((u) => u.pathname === '/command', { timeout: 30000 }), page.click('#submit')]);
  await page.waitForFunction(() => window.commandState?.counts && window.commandState.mapReady, null, { timeout: 60000 });
  await page.waitForFunction(() => document.getElementById('user').textContent.includes('zbz01'));
  await page.screenshot({ path: join(artifacts, 'signin-command.png') });

  await page.click('nav.cg-nav a[data-page="report"]');
  await page.waitForFunction(() => document.body.dataset.loaded, null, { timeout: 60000 });
  assert.equal(await page.locator('#error').textContent(), '');
  await page.screenshot({ path: join(artifacts, 'signin-command-report.png') });

  const cookie = (await context.cookies()).find((c) => c.name === 'citygrid_session');
  assert.ok(cookie, 'no session cookie');
  assert.ok(cookie.httpOnly, 'the session cookie is readable by scripts');
  assert.equal(cookie.sameSite, 'Lax');
  const session = await page.evaluate(async () => (await fetch('/api/v1/session')).json());
  const secrets = { 'session secret': cookie.value, 'secret body': cookie.value.replace(/^cgs_/, ''), 'CSRF token': session.csrf_token, password };
  assert.ok(sent.length > 20, `only ${sent.length} requests seen`);
  for (const { url, referer } of sent) {
    for (const [name, v] of Object.entries(secrets)) {
      assert.ok(!url.includes(v), `the ${name} is in the URL ${url}`);
      assert.ok(!referer.includes(v), `the ${name} is in the Referer of ${url}`);
    }
    assert.ok(!/[?&](token|access_token|session)=/i.test(url), `a credential parameter in ${url}`);
    assert.equal(referer, '', `a Referer (${referer}) left the page with ${url}`);
  }
  for (const path of ['/login', '/command', '/command/report', '/command/assets/command.js', '/login/assets/login.js']) {
    const h = answered.get(path);
    assert.ok(h, `${path} was not loaded`);
    assert.equal(h['referrer-policy'], 'no-referrer', path);
    assert.equal(h['x-content-type-options'], 'nosniff', path);
    assert.match(h['content-security-policy'] || '', /frame-ancestors 'self'/, path);
  }
  for (const [name, v] of Object.entries(secrets)) assert.ok(!log().includes(v), `the ${name} is in the server's log`);
  assert.deepEqual(errors, [], 'console errors (a CSP violation shows here)');
  await context.close();
});

test('a page whose session ended goes to sign in once and stops calling', { skip, timeout: 120000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await page.goto(`${base}/login?next=%2Fcommand`);
  await page.fill('#username', 'zbz01');
  await page.fill('#password', demoPassword(printed()));
  await Promise.all([page.waitForURL((u) => u.pathname === '/command', { timeout: 30000 }), page.click('#submit')]);
  await page.waitForFunction(() => window.commandState?.counts, null, { timeout: 60000 });
  let apiCalls = 0;
  page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/api/')) apiCalls++; });
  // The session ends elsewhere ("sign out everywhere"): the page's next
  // call gets 401.
  const csrf = await page.evaluate(async () => (await (await fetch('/api/v1/session')).json()).csrf_token);
  const ended = await page.evaluate(async (csrf) => (await fetch('/api/v1/session', { method: 'DELETE', headers: { 'X-CSRF-Token': csrf } })).status, csrf);
  assert.equal(ended, 204);
  await page.waitForURL((u) => u.pathname === '/login', { timeout: 40000 });
  assert.equal(new URL(page.url()).searchParams.get('next'), '/command');
  const settled = apiCalls;
  await new Promise((r) => setTimeout(r, 5000));
  assert.ok(apiCalls - settled <= 0, `the sign-in page kept calling the API (${apiCalls - settled} calls)`);
  assert.ok(settled <= 6, `${settled} API calls between the end of the session and the sign-in page`);
  await context.close();
});
