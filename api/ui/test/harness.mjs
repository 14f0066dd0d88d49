// Shared set-up of the work-screen tests: build the real citygrid binary,
// serve a small demo city from it on a free loopback port (its first start
// prints the demo accounts, read here), sign people in through the form,
// and keep screenshots under test/artifacts.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ui = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const root = resolve(ui, '..', '..');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
export const artifacts = join(ui, 'test', 'artifacts');

// skip answers node:test's skip option: false when chromium is there, or
// under CI, where a missing browser must fail the test; else the reason.
export function skip() {
  return existsSync(chromiumPath) || process.env.CI === 'true' ? false : 'chromium missing';
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

// startCity builds citygrid (or takes $CITYGRID_TEST_BINARY) and serves a demo city (scale 0.05, seed 7).
// It resolves when /healthz answers and the demo accounts were printed:
// {base, bin, dir, password, accounts: [{role, user, name}], stop()}.
export async function startCity(prefix = 'citygrid-ui-') {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const dir = join(work, 'city');
  // A binary CI already built (as for the Go binary-level tests), else one
  // built from this checkout.
  let bin = process.env.CITYGRID_TEST_BINARY;
  if (!bin || !existsSync(bin)) {
    bin = join(work, 'citygrid');
    execFileSync('go', ['build', '-o', bin, './cmd/citygrid'], { cwd: root, stdio: 'inherit' });
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ['demo', '--dir', dir, '--addr', `127.0.0.1:${port}`, '--scale', '0.05', '--seed', '7', '--access-log=false'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let log = '';
  server.stdout.on('data', (d) => { out += d; });
  server.stderr.on('data', (d) => { log = (log + d).slice(-6000); });
  server.on('exit', (code) => { if (code) console.error(log); });
  const end = Date.now() + 240000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`citygrid exited with ${server.exitCode}: ${log.slice(-1500)}`);
    if (Date.now() > end) throw new Error(`citygrid not ready: ${log.slice(-1500)}`);
    let ok = false;
    try { ok = (await fetch(`${base}/healthz`)).ok; } catch { /* not up yet */ }
    if (ok && /password/i.test(out)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const city = { work, bin, dir, base, server, ...parseAccounts(out) };
  city.stop = async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    rmSync(work, { recursive: true, force: true });
  };
  return city;
}

// parseAccounts reads the table `citygrid demo` prints at first start:
//   ROLE  USER  NAME … and a last row "password <the password>".
export function parseAccounts(text) {
  const accounts = [];
  let password = '';
  for (const line of text.split('\n')) {
    const m = line.match(/^\s+(\S+)\s+(\S+)\s*(.*)$/);
    if (!m) continue;
    if (m[1] === 'password') { password = m[2]; continue; }
    if (m[1] === 'ROLE') continue;
    accounts.push({ role: m[1], user: m[2], name: m[3].trim() });
  }
  return { accounts, password };
}

// userFor answers the demo user holding role.
export function userFor(city, role) {
  const a = city.accounts.find((x) => x.role.split(',').includes(role));
  if (!a) throw new Error(`no demo account for ${role} in: ${JSON.stringify(city.accounts)}`);
  return a.user;
}

// addUser creates an account with the CLI (the password on standard input).
export function addUser(city, name, roles, extra = []) {
  execFileSync(city.bin, ['user', 'add', '--dir', city.dir, '--name', name, '--display', `测试${name}`, '--roles', roles, ...extra], { input: `${city.password}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
}

// launchBrowser starts headless chromium.
export function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

// newDesk opens a page the size of a desk screen in Beijing time; console
// errors (other than the API's own 4xx answers, which the screens handle)
// are collected in page.errors.
export async function newDesk(browser, width = 1366, height = 768) {
  const ctx = await browser.newContext({ viewport: { width, height }, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) page.errors.push(m.text()); });
  return page;
}

// signIn fills the sign-in form at path (the route the person wants) and
// waits until the app has left the sign-in page.
export async function signIn(page, base, user, password, path = '/app/') {
  await page.goto(base + path);
  await page.waitForSelector('input[name=username]');
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', password);
  await page.click('[data-test=signin]');
  await page.waitForURL((u) => !u.pathname.startsWith('/app/signin'), { timeout: 15000 });
}

// signOut uses the user menu.
export async function signOut(page) {
  await page.click('[data-test=user-menu]');
  await page.click('[data-test=signout]');
  await page.waitForURL((u) => u.pathname.startsWith('/app/signin'));
}

// shot saves a screenshot under test/artifacts.
export async function shot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: false });
}

// waitMap waits until the MapLibre maps on the page have loaded their style.
export async function waitMap(page) {
  await page.waitForFunction(() => [...document.querySelectorAll('.case-map')].every((m) => m.dataset.loaded === 'true'), null, { timeout: 20000 });
}
