// The acceptance walks of the work screens, in real Chromium against the
// real citygrid binary, each person at their own desk (a browser context
// with their own session):
//  1. a citizen's report reaches the open 受理台 live; the operator accepts
//     it, the supervisor registers it, the dispatcher sends it to the
//     suggested unit, the unit feeds back with a photo, the check fails once
//     (返工), the unit handles it again, the check passes, the supervisor
//     closes it; the case page shows every step with actor and deadline;
//  2. a telephone report registered through the form (category found by
//     pinyin, place clicked on the map) is dispatched, the unit asks for an
//     extension that the dispatcher approves, returns the case, a second
//     unit returns it too, and the supervisor arbitrates.
// Every write the screens send carries the session's CSRF token, and no
// token appears in a URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { join } from 'node:path';
import { startCity, launchBrowser, newDesk, signIn, shot, userFor, addUser, waitMap, skip, ui } from './harness.mjs';

let city;
let browser;
let admin; // bearer token for the test's own set-up calls
const desks = {};
const writes = []; // every write request the screens sent: {url, csrf}
const photo = (n) => join(ui, 'test', 'fixtures', n);

// The class of the walks' reports: 暴露垃圾 (event 0110), a class this
// centre dispatches by hand (set below), so a registered case waits for the
// dispatcher. The first report's place is one in 古雄街道 with no open case
// of the class within 100 m (else it would be linked as a duplicate).
const kind = 'event';
const category = '0110';
let place;
let walked; // the first walk's case

function metres(a, b) {
  const r = Math.PI / 180;
  const x = (b.lon - a.lon) * r * Math.cos(((a.lat + b.lat) / 2) * r);
  return Math.hypot(x, (b.lat - a.lat) * r) * 6371000;
}
async function freePlace(taken = []) {
  const open = (await api('GET', `/api/v1/cases?open=true&kind=${kind}&category=${category}&limit=1000`)).cases.concat(taken);
  for (let i = 0; i < 40; i++) {
    const p = { lon: 118.7700 + (i % 8) * 0.002, lat: 31.9790 + Math.floor(i / 8) * 0.002 };
    const where = await api('GET', `/api/v1/locate?lon=${p.lon}&lat=${p.lat}`).catch(() => null); // 404 outside the city
    if (where && where.covered && open.every((c) => metres(c, p) > 100)) return p;
  }
  throw new Error('no free place for a new report');
}

async function api(method, path, body, token = admin, headers = {}) {
  const res = await fetch(city.base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// desk opens (once) a signed-in browser for a user at a screen.
async function desk(user, path) {
  if (!desks[user]) {
    const page = await newDesk(browser);
    page.on('request', (r) => {
      if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method()) && r.url().includes('/api/')) writes.push({ url: r.url(), csrf: r.headers()['x-csrf-token'] || '', user });
    });
    await signIn(page, city.base, user, city.password, '/app' + path);
    desks[user] = page;
  }
  const page = desks[user];
  if (new URL(page.url()).pathname !== '/app' + path) await page.goto(city.base + '/app' + path);
  await page.waitForSelector('[data-test=queue]');
  return page;
}

const unitUsers = {};
// unitUser answers a handler account of the unit, creating it with the CLI.
function unitUser(code) {
  if (!unitUsers[code]) {
    const name = `u${code.toLowerCase()}`;
    addUser(city, name, 'unit', ['--unit', code]);
    unitUsers[code] = name;
  }
  return unitUsers[code];
}

const row = (id) => `.queue-table [data-case-id="${id}"]`;
async function pick(page, id) {
  await page.waitForSelector(row(id), { timeout: 20000 });
  await page.click(row(id));
  await page.waitForSelector(`.case-info .case-link:text-is("${(await caseOf(id)).number}")`);
}
async function gone(page, id) {
  await page.waitForSelector(row(id), { state: 'detached', timeout: 20000 });
}
async function caseOf(id) {
  return api('GET', `/api/v1/cases/${id}`);
}
// reason answers the reason dialog an action opens.
async function reason(page, text) {
  await page.waitForSelector('.reason-box textarea');
  await page.fill('.reason-box textarea', text);
  await page.click('.reason-box .el-button--primary');
}
async function until(id, pred, what) {
  const end = Date.now() + 20000;
  for (;;) {
    const c = await caseOf(id);
    if (pred(c)) return c;
    if (Date.now() > end) throw new Error(`case ${id}: ${what} (state ${c.state})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  if (skip()) return;
  city = await startCity('citygrid-ui-walk-');
  admin = execFileSync(city.bin, ['token', 'create', '--dir', city.dir, '--user', 'walk-setup', '--role', 'admin'], { encoding: 'utf8' }).trim().split('\n').pop();
  const s = await api('GET', '/api/v1/cases/config/settings');
  await api('PUT', '/api/v1/cases/config/settings', { ...s.config, no_auto_dispatch: [...(s.config.no_auto_dispatch || []), category] }, admin, { 'If-Match': `"${s.version}"` });
  place = await freePlace();
  browser = await launchBrowser();
});
after(async () => {
  if (browser) await browser.close();
  if (city) await city.stop();
});

test('walk 1: report → accept → register → dispatch → feedback → rework → feedback → check → close', { skip: skip() }, async () => {
  const operator = await desk(userFor(city, 'operator'), '/intake');
  await waitMap(operator).catch(() => {});

  // A citizen reports with a photo through the API of the public app.
  const citizen = await fetch(`${city.base}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: userFor(city, 'citizen'), password: city.password }) });
  assert.equal(citizen.status, 201);
  const cookie = citizen.headers.get('set-cookie').split(';')[0];
  const { csrf_token: csrf } = await citizen.json();
  const t0 = Date.now();
  const made = await fetch(`${city.base}/api/v1/cases`, {
    method: 'POST',
    headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
    body: JSON.stringify({ source: 'citizen', kind, category, lon: place.lon, lat: place.lat, description: '路边垃圾堆放，已有异味' }),
  });
  assert.equal(made.status, 201, await made.clone().text());
  const c = await made.json();
  walked = c;
  // It reaches the open 受理台 by itself (server-sent events), within 1 s.
  await operator.waitForSelector(row(c.id), { timeout: 5000 });
  const arrival = Date.now() - t0;
  const photoRes = await fetch(`${city.base}/api/v1/cases/${c.id}/attachments`, { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'image/png' }, body: await import('node:fs').then((fs) => fs.readFileSync(photo('before.png'))) });
  assert.equal(photoRes.status, 201);
  // Under 1 s is the requirement; on a machine loaded beyond twice its
  // cores (shared CI) the bound is 3 s and the load is printed with it.
  const load = os.loadavg()[0];
  const busy = load > 2 * os.cpus().length;
  console.log(`# a new report reached the open 受理台 in ${arrival} ms (load ${load.toFixed(1)} on ${os.cpus().length} cores)`);
  assert.ok(arrival < (busy ? 3000 : 1000), `arrival took ${arrival} ms at load ${load.toFixed(1)}`);

  // 受理: the operator looks at it and accepts it with Enter.
  await pick(operator, c.id);
  await operator.click('.pane-head h2'); // focus off any field; shortcuts are global
  await waitMap(operator);
  await shot(operator, 'walk1-01-intake');
  await operator.keyboard.press('Enter');
  await gone(operator, c.id);
  await until(c.id, (x) => x.state === 'verified', 'not accepted');

  // 立案: the supervisor sees the limit the case will get and registers it.
  const supervisor = await desk(userFor(city, 'supervisor'), '/register');
  await pick(supervisor, c.id);
  const willGet = (await supervisor.textContent('[data-test=will-get] .big')).trim();
  assert.equal(willGet, '1 工作日'); // events outside class-A areas: 1 working day
  await waitMap(supervisor);
  await shot(supervisor, 'walk1-02-register');
  await supervisor.click('[data-action=register]');
  await gone(supervisor, c.id);
  await until(c.id, (x) => x.state === 'registered', 'not registered');

  // 派遣: the dispatcher sends it to the suggested unit in one action.
  const dispatcher = await desk(userFor(city, 'dispatcher'), '/dispatch');
  await pick(dispatcher, c.id);
  await dispatcher.waitForSelector('.cand[data-unit]');
  const suggested = await dispatcher.getAttribute('.cand >> nth=0', 'data-unit');
  const lookup = await api('GET', `/api/v1/responsible?lon=${place.lon}&lat=${place.lat}&kind=${kind}&category=${category}`);
  assert.equal(suggested, lookup.unit.code, 'the first candidate is the responsibility lookup\'s unit');
  const words = await dispatcher.textContent('.cand >> nth=0');
  assert.ok(words.includes(lookup.unit.name) && words.includes('建议') && /决定.*负责/.test(words), `the reason chain in words: ${words}`);
  await waitMap(dispatcher);
  await shot(dispatcher, 'walk1-03-dispatch');
  await dispatcher.keyboard.press('Enter');
  await gone(dispatcher, c.id);
  let cur = await until(c.id, (x) => x.state === 'dispatched', 'not dispatched');
  assert.equal(cur.unit, suggested);
  // The limit announced at registration is the one the server applied.
  assert.equal(willGet, `${cur.limit.amount} ${{ working_days: '工作日', working_hours: '工作时', hours: '小时' }[cur.limit.unit]}`);

  // 处置: the unit sees it green, feeds back with an after-photo.
  const unitName = unitUser(suggested);
  const unit = await desk(unitName, '/handle');
  await pick(unit, c.id);
  assert.match(await unit.getAttribute(`.queue-table tr:has([data-case-id="${c.id}"])`, "class"), /light-green/);
  await unit.setInputFiles('[data-test=after-upload] input[type=file]', photo('after.png'));
  await unit.waitForSelector('.el-message--success:has-text("照片已上传")');
  await unit.waitForSelector('[data-test=photos-after] img');
  await shot(unit, 'walk1-04-handle');
  await unit.click('[data-action=handle]');
  await gone(unit, c.id);
  await until(c.id, (x) => x.state === 'handled', 'not handled');

  // 核查: before and after side by side; the first check fails (返工).
  const inspector = await desk(userFor(city, 'inspector'), '/check');
  await pick(inspector, c.id);
  await inspector.waitForSelector('[data-test=photos-before] img');
  await inspector.waitForSelector('[data-test=photos-after] img');
  await shot(inspector, 'walk1-05-check-fail');
  await inspector.keyboard.press('f');
  await reason(inspector, '垃圾未清运干净，地面仍有残留');
  await gone(inspector, c.id);
  cur = await until(c.id, (x) => x.state === 'dispatched' && x.rework_count === 1, 'not sent back for rework');

  // The unit handles it again (its queue updated by itself).
  await unit.waitForSelector(row(c.id), { timeout: 20000 });
  await pick(unit, c.id);
  await unit.setInputFiles('[data-test=after-upload] input[type=file]', photo('after.png'));
  await unit.waitForSelector('.el-message--success:has-text("照片已上传")');
  await unit.fill('[data-test=handle-note]', '已二次清运并冲洗地面');
  await unit.click('[data-action=handle]');
  await gone(unit, c.id);
  await until(c.id, (x) => x.state === 'handled', 'not handled again');

  // The check passes; the supervisor closes the case.
  await inspector.waitForSelector(row(c.id), { timeout: 20000 });
  await pick(inspector, c.id);
  await inspector.keyboard.press('Enter');
  await gone(inspector, c.id);
  await until(c.id, (x) => x.state === 'checked', 'not checked');
  const closer = await desk(userFor(city, 'supervisor'), '/check');
  await closer.click('[data-tab=checked]');
  await pick(closer, c.id);
  await closer.keyboard.press('c');
  await gone(closer, c.id);
  cur = await until(c.id, (x) => x.state === 'closed', 'not closed');

  // 案卷: every step with its actor and deadline.
  await closer.goto(`${city.base}/app/cases/${c.id}`);
  await closer.waitForSelector('[data-test=timeline] tbody tr');
  await closer.waitForFunction((n) => document.querySelectorAll('[data-test=timeline] tbody tr').length >= n, 9);
  const steps = await closer.$$eval('[data-test=timeline] tbody tr', (trs) => trs.map((tr) => ({
    action: tr.querySelector('[data-action]').dataset.action,
    actor: tr.querySelector('.actor').textContent.trim(),
    due: tr.querySelector('.step-due').textContent.trim(),
  })));
  const transitions = await api('GET', `/api/v1/cases/${c.id}/transitions`);
  const list = Array.isArray(transitions) ? transitions : transitions.transitions;
  assert.deepEqual(steps.map((s) => s.action), ['report', 'verify', 'register', 'dispatch', 'handle', 'check_fail', 'handle', 'check_pass', 'close']);
  assert.deepEqual(steps.map((s) => s.actor), [userFor(city, 'citizen'), userFor(city, 'operator'), userFor(city, 'supervisor'), userFor(city, 'dispatcher'), unitName, userFor(city, 'inspector'), unitName, userFor(city, 'inspector'), userFor(city, 'supervisor')]);
  assert.deepEqual(steps.map((s) => s.actor), list.map((t) => t.user), 'the page shows the recorded actors');
  // The centre's steps show the deadline recorded on the transition; the
  // unit's feedback shows the handling deadline.
  list.forEach((t, i) => {
    if (t.step_due_at) assert.notEqual(steps[i].due, '—', `step ${t.action} shows its deadline`);
  });
  for (const i of [4, 6]) assert.match(steps[i].due, /^\d{4}-\d\d-\d\d \d\d:\d\d$/, 'feedback shows the handling deadline');
  assert.ok(steps.filter((s) => s.due !== '—').length >= 6, 'deadlines shown for the timed steps');
  await waitMap(closer);
  await shot(closer, 'walk1-06-casefile');
  await closer.emulateMedia({ media: 'print' });
  await shot(closer, 'walk1-07-casefile-print');
  await closer.emulateMedia({ media: 'screen' });
  for (const p of Object.values(desks)) assert.deepEqual(p.errors, []);
});

test('walk 2: telephone report → extension approved → return → second return → arbitration', { skip: skip() }, async () => {
  // The operator takes a call: category found by pinyin initials, the
  // place clicked on the map, urgency, description; Ctrl+Enter registers.
  const operator = await desk(userFor(city, 'operator'), '/intake');
  await operator.keyboard.press('n');
  await operator.waitForSelector('[data-test=register-drawer] .case-map');
  await operator.click('[data-test=category-picker]');
  await operator.keyboard.type('bllj'); // bào lù lā jī
  await operator.waitForSelector('.el-select-dropdown__item:has-text("暴露垃圾")');
  const options = await operator.$$eval('.el-select-dropdown__item:visible', (els) => els.map((e) => e.textContent));
  assert.ok(options.length >= 1 && options.every((o) => o.includes('暴露垃圾')), `pinyin filter: ${options}`);
  await operator.keyboard.press('Enter');
  await operator.fill('[data-test=reporter]', '138****0001');
  await operator.fill('[data-test=description]', '小区门口垃圾堆积');
  // Click a free place: the form's map opens centred on 118.77, 31.99 at
  // zoom 12 (512-pixel Web Mercator tiles), so its pixel is known.
  const p2 = await freePlace([place]);
  const map = await operator.waitForSelector('[data-test=register-drawer] .case-map canvas');
  const box = await map.boundingBox();
  const scale = 512 * 2 ** 12;
  const mx = (lon) => ((lon + 180) / 360) * scale;
  const my = (lat) => ((1 - Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) / Math.PI) / 2) * scale;
  await operator.mouse.click(box.x + box.width / 2 + mx(p2.lon) - mx(118.77), box.y + box.height / 2 + my(p2.lat) - my(31.99));
  await operator.waitForSelector('[data-test=register-drawer] .muted:has-text("已选")');
  await shot(operator, 'walk2-01-register-form');
  const [res] = await Promise.all([
    operator.waitForResponse((r) => r.url().endsWith('/api/v1/cases') && r.request().method() === 'POST'),
    operator.keyboard.press('Control+Enter'),
  ]);
  assert.equal(res.status(), 201);
  const c = await res.json();
  assert.equal(c.source, 'hotline');
  assert.equal(c.category, category);
  assert.ok(!c.duplicate_of, `linked as a duplicate of ${c.duplicate_of}`);
  assert.ok(metres(c, p2) < 30, `the clicked place ${c.lon},${c.lat} is not ${p2.lon},${p2.lat}`);
  await pick(operator, c.id);
  await operator.keyboard.press('Enter');
  await until(c.id, (x) => x.state === 'verified', 'not accepted');

  const supervisor = await desk(userFor(city, 'supervisor'), '/register');
  await pick(supervisor, c.id);
  await supervisor.keyboard.press('Enter');
  await until(c.id, (x) => x.state === 'registered', 'not registered');

  const dispatcher = await desk(userFor(city, 'dispatcher'), '/dispatch');
  await dispatcher.click('[data-tab=registered]');
  await pick(dispatcher, c.id);
  await dispatcher.waitForSelector('.cand[data-unit]');
  const first = await dispatcher.getAttribute('.cand >> nth=0', 'data-unit');
  await dispatcher.keyboard.press('1');
  let cur = await until(c.id, (x) => x.state === 'dispatched', 'not dispatched');
  const due0 = cur.due_at;

  // The unit asks for one more unit of time; the dispatcher approves.
  const u1 = await desk(unitUser(first), '/handle');
  await pick(u1, c.id);
  await u1.fill('[data-test=ext-reason]', '需协调物业共同清理');
  await u1.click('[data-action=request_extension]');
  await until(c.id, (x) => !!x.pending_extension, 'no extension request');
  await dispatcher.click('[data-tab=approvals]');
  await pick(dispatcher, c.id);
  assert.match(await dispatcher.textContent('[data-test=extension-request]'), /需协调物业共同清理/);
  await shot(dispatcher, 'walk2-02-extension-approval');
  await dispatcher.click('[data-test=extension-request] [data-action=approve_extension]');
  cur = await until(c.id, (x) => !x.pending_extension && x.extension_count === 1, 'extension not approved');
  assert.ok(new Date(cur.due_at) > new Date(due0), 'the deadline moved later');

  // The unit returns the case; the dispatcher sends it to another unit.
  await u1.reload();
  await pick(u1, c.id);
  await u1.click('[data-action=return]');
  await reason(u1, '非本单位职责：该处为小区内部道路');
  await until(c.id, (x) => x.state === 'returned', 'not returned');
  await dispatcher.click('[data-tab=returned]');
  await pick(dispatcher, c.id);
  await dispatcher.waitForSelector(`.cand.returned[data-unit="${first}"]`);
  const second = first === 'HW' ? 'CGJ' : 'HW';
  await dispatcher.click('[data-test=other-unit]');
  await dispatcher.keyboard.type(second);
  await dispatcher.click(`.el-select-dropdown__item:has-text("（${second}）")`);
  await shot(dispatcher, 'walk2-03-returned');
  await dispatcher.click('.cand-other [data-action=redispatch]');
  cur = await until(c.id, (x) => x.state === 'dispatched' && x.unit === second, 'not redispatched');

  // The second unit returns it too: the case goes to arbitration.
  const u2 = await desk(unitUser(second), '/handle');
  await pick(u2, c.id);
  await u2.click('[data-action=return]');
  await reason(u2, '权属不清，请中心裁定');
  cur = await until(c.id, (x) => x.state === 'arbitration', 'not in arbitration');

  // The supervisor arbitrates from the dispatch screen: the first unit.
  await supervisor.goto(`${city.base}/app/dispatch`);
  await supervisor.waitForSelector('[data-test=queue]');
  await supervisor.click('[data-tab=arbitration]');
  await pick(supervisor, c.id);
  await shot(supervisor, 'walk2-04-arbitration');
  await supervisor.click(`.cand[data-unit="${first}"] [data-action=arbitrate]`);
  cur = await until(c.id, (x) => x.state === 'dispatched' && x.unit === first && x.owner_fixed, 'not arbitrated');

  await supervisor.goto(`${city.base}/app/cases/${c.id}`);
  await supervisor.waitForFunction(() => document.querySelectorAll('[data-test=timeline] tbody tr').length >= 10);
  const actions = await supervisor.$$eval('[data-test=timeline] [data-action]', (els) => els.map((e) => e.dataset.action));
  assert.deepEqual(actions, ['report', 'verify', 'register', 'dispatch', 'request_extension', 'approve_extension', 'return', 'redispatch', 'return', 'arbitrate']);
  await shot(supervisor, 'walk2-05-casefile');
  for (const p of Object.values(desks)) assert.deepEqual(p.errors, []);
});

test('the screens fit desk screens from 1366×768 to 1920×1080, and 处置 a tablet', { skip: skip() }, async () => {
  const adminUser = userFor(city, 'admin');
  for (const [w, h] of [[1366, 768], [1920, 1080]]) {
    const page = await newDesk(browser, w, h);
    await signIn(page, city.base, adminUser, city.password, '/app/intake');
    for (const path of ['/intake', '/register', '/dispatch', '/check', `/cases/${walked.id}`]) {
      await page.goto(`${city.base}/app${path}`);
      await page.waitForSelector(path.startsWith('/cases') ? '[data-test=timeline] tbody tr' : '[data-test=queue]');
      await page.waitForTimeout(300);
      await waitMap(page).catch(() => {});
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} at ${w}×${h} is ${overflow} px too wide`);
      await shot(page, `screen-${path.split('/')[1]}-${w}x${h}`);
    }
    if (w === 1366) {
      // 督办 is offered only when the server's workflow has the action;
      // until then the button is off and says why.
      const wf = await api('GET', '/api/v1/cases/workflow');
      const urge = wf.actions.some((a) => ['urge', 'supervise', 'press'].includes(a.action));
      await page.goto(`${city.base}/app/dispatch`);
      await page.click('[data-tab=urge]');
      await page.waitForSelector('.queue-table [data-case-id]');
      await page.click('.queue-table [data-case-id] >> nth=0');
      await page.waitForSelector('[data-action=urge]');
      assert.equal(await page.isDisabled('[data-action=urge]'), !urge);
      if (!urge) {
        await page.hover('.action-wrap:has([data-action=urge])');
        await page.waitForSelector('.el-popper:has-text("服务器尚未提供此操作")');
      }
      await shot(page, 'screen-dispatch-urge');
    }
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
  const unit = unitUser(walked.unit || (await caseOf(walked.id)).unit);
  for (const [w, h] of [[1024, 768], [768, 1024]]) {
    const page = await newDesk(browser, w, h);
    await signIn(page, city.base, unit, city.password, '/app/handle');
    await page.waitForSelector('[data-test=queue]');
    await page.waitForSelector('.queue-table [data-case-id]');
    await page.click('.queue-table [data-case-id] >> nth=0');
    await page.waitForSelector('[data-action=handle]');
    const box = await page.locator('[data-action=handle]').boundingBox();
    assert.ok(box.height >= 40, 'a finger-sized feedback button');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `处置 at ${w}×${h} is ${overflow} px too wide`);
    await shot(page, `screen-handle-tablet-${w}x${h}`);
    await page.context().close();
  }
});

test('every write the screens sent carried the CSRF token and no URL carried a token', { skip: skip() }, async () => {
  assert.ok(writes.length >= 20, `only ${writes.length} writes seen`);
  for (const w of writes) {
    if (w.url.endsWith('/api/v1/session')) continue; // signing in is the one write before a token exists
    assert.ok(w.csrf.length >= 16, `${w.user} ${w.url} without X-CSRF-Token`);
    assert.doesNotMatch(w.url, /csrf|token|session_id/i);
  }
  // A write without the token, as a forged cross-site form would send it,
  // is refused although the session cookie goes along.
  const page = desks[userFor(city, 'dispatcher')];
  const status = await page.evaluate(async () => (await fetch('/api/v1/cases/1/actions/dispatch', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: '{"unit":"HW"}' })).status);
  assert.equal(status, 403);
});
