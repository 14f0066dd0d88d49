// Shared set-up of the browser tests: build the real citygrid binary, serve
// a small demo city from it on a free loopback port, launch Debian's
// chromium through playwright-core, and tear all of it down again.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
export const artifacts = join(root, 'test', 'artifacts');

// skipUnless answers node:test's skip option: false when chromium and every
// path (relative to the repository root) exist, or under CI, where a missing
// piece must fail the test instead of skipping it; else the reason.
export function skipUnless(paths, what) {
  const ready = existsSync(chromiumPath) && paths.every((p) => existsSync(join(root, p)));
  return ready || process.env.CI === 'true' ? false : `${what} missing`;
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

async function waitHealthy(server, url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { if ((await fetch(url)).ok) return; } catch { /* not up yet */ }
    if (server.exitCode !== null) throw new Error(`citygrid exited with ${server.exitCode}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not healthy after ${ms} ms`);
}

// startCity builds citygrid into a new temporary directory and serves a
// small demo city (scale 0.05, seed 7) from it; it resolves when /healthz
// answers 200. The server's last log lines are printed if it exits badly.
// printed() is what the server wrote on standard output: the demo
// accounts and their password. log() is its standard error.
export async function startCity(prefix) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const bin = join(work, 'citygrid');
  const dir = join(work, 'city');
  execFileSync('go', ['build', '-o', bin, './cmd/citygrid'], { cwd: root, stdio: 'inherit' });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ['demo', '--dir', dir, '--addr', `127.0.0.1:${port}`, '--scale', '0.05', '--seed', '7'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let out = '';
  let logAll = '';
  server.stdout.on('data', (d) => { out += d; });
  server.stderr.on('data', (d) => { log = (log + d).slice(-4000); logAll += d; });
  server.on('exit', (code) => { if (code) console.error(log); });
  await waitHealthy(server, `${base}/healthz`, 180000);
  return { work, bin, dir, base, server, printed: () => out, log: () => logAll };
}

// launchBrowser starts headless chromium.
export function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// stopCity closes the browser, stops the server with SIGTERM and removes the
// temporary directory; any of them may be missing.
export async function stopCity(browser, server, work) {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  if (work) rmSync(work, { recursive: true, force: true });
}

// demoPassword reads the one password 'citygrid demo' printed with the
// demo accounts.
export function demoPassword(printed) {
  const m = printed.match(/^\s*password\s+(\S+)/m);
  if (!m) throw new Error(`no demo password in:\n${printed}`);
  return m[1];
}

// signIn signs a browser context in through the sign-in page, as a person
// does, and resolves once the page has moved on.
export async function signIn(context, base, username, password, next = '/command/report') {
  const page = await context.newPage();
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((u) => u.pathname === next, { timeout: 30000 }), page.click('#submit')]);
  await page.close();
}
