// Starts the real `hundeschule` binary (serve) against a `hundeschule sevdesk-sandbox` process,
// each on a free loopback port with a temporary database, and Debian's chromium via
// playwright-core. Everything is stopped again by stop().
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');

export const OWNER = { email: 'inhaberin@pfotenglueck.test', password: 'Ein-langes-Passwort-42' };
export const SCHOOL = 'Hundeschule Pfotenglück';
export const GOOD_TOKEN = 'sandboxtoken0000000000000000good';
export const REGENERATED_TOKEN = 'sandboxtoken000000000regenerated';
export const WRONG_TOKEN = 'abcdefabcdefabcdefabcdefabcd0000';

// Text as a person reads it: no-break and narrow spaces as spaces, runs of spaces as one.
export const norm = (s) => String(s).replace(/\u00a0|\u202f/g, ' ').replace(/\s+/g, ' ').trim();
// Today in Europe/Berlin as YYYY-MM-DD (the server dates documents there).
export const TODAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

// The school's address, tax number and bank: what finalizing an invoice needs.
export async function completeSchoolSettings(api) {
  await api.call('PATCH', '/settings/school', {
    address: { street: 'Am Hundeplatz 3', zip: '79098', city: 'Freiburg im Breisgau', country: 'DE' },
    email: 'hallo@pfotenglueck.test', tax_number: '06/123/45678', iban: 'DE02120300000000202051', bic: 'BYLADEM1001', bank_name: 'Testbank',
  });
}

export function binaryPath() {
  const candidates = [process.env.HS_BINARY, path.join(repoRoot, 'build/h-ui/apps/hundeschule/hundeschule'),
    path.join(repoRoot, 'build/test/apps/hundeschule/hundeschule')].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`hundeschule binary not found (set HS_BINARY); tried ${candidates.join(', ')}`);
  return found;
}

export function chromiumPath() {
  return process.env.HS_CHROMIUM || '/usr/bin/chromium';
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

async function waitForFile(file, proc, what, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`${what} exited early with ${proc.exitCode}`);
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8').trim();
      if (/^\d+$/.test(text)) return Number(text);
    }
    await sleep(50);
  }
  throw new Error(`${what} did not write its port file in time`);
}

function startProcess(bin, args, logName, dir) {
  const env = { ...process.env };
  // The binary is built with ASan: the browser tests judge the UI, not leaks at exit.
  env.ASAN_OPTIONS = env.ASAN_OPTIONS || 'detect_leaks=0';
  const proc = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  const keep = (chunk) => { log.push(chunk.toString()); if (log.length > 400) log.shift(); };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  proc.logText = () => log.join('');
  proc.logName = logName;
  return proc;
}

export async function startStack({ screenshots = true } = {}) {
  const bin = binaryPath();
  const dir = mkdtempSync(path.join(tmpdir(), 'hs-browser-'));
  const db = `sqlite:${path.join(dir, 'hundeschule.db')}`;

  const sandboxPortFile = path.join(dir, 'sandbox.port');
  const sandbox = startProcess(bin, ['sevdesk-sandbox', '--listen', '127.0.0.1:0', '--port-file', sandboxPortFile,
    '--account', GOOD_TOKEN], 'sandbox', dir);
  const sandboxPort = await waitForFile(sandboxPortFile, sandbox, 'sevdesk-sandbox');
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;

  const run = (args, input) => execFileSync(bin, [...args, '--database', db], {
    input, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' }, encoding: 'utf8',
  }).trim();
  run(['migrate']);
  const schoolId = run(['tenant', 'create', '--name', SCHOOL]);
  run(['user', 'add', '--tenant', schoolId, '--email', OWNER.email, '--password-stdin', '--password-cost', 'minimum'], `${OWNER.password}\n`);

  const portFile = path.join(dir, 'server.port');
  const server = startProcess(bin, ['serve', '--database', db, '--listen', '127.0.0.1:0', '--port-file', portFile,
    '--key-file', path.join(dir, 'secret.key'), '--password-cost', 'minimum',
    '--sevdesk-base-url', `${sandboxUrl}/api/v1`, '--voucher-link-template', `${sandboxUrl}/?voucher={id}`,
    '--sevdesk-backoff-base-ms', '200', '--sevdesk-timeout-ms', '5000'], 'server', dir);
  const port = await waitForFile(portFile, server, 'hundeschule serve');
  const baseUrl = `http://127.0.0.1:${port}`;

  // playwright-core gives every launch a fresh temporary --user-data-dir of its own.
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--lang=de-DE'],
  });

  const stack = {
    dir, baseUrl, sandboxUrl, browser, server, sandbox,
    screenshotDir: screenshots ? (process.env.HS_SCREENSHOT_DIR || path.join(repoRoot, 'docs/screenshots')) : null,
    async newPage({ width = 1280, height = 860 } = {}) {
      const context = await browser.newContext({
        viewport: { width, height }, locale: 'de-DE', timezoneId: 'Europe/Berlin', deviceScaleFactor: 1,
      });
      const page = await context.newPage();
      page.consoleErrors = [];
      page.on('console', (m) => { if (m.type() === 'error') page.consoleErrors.push(m.text()); });
      page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
      return page;
    },
    async shot(page, name, opts = {}) {
      // Every main screen is also checked for leaked placeholders.
      const text = await page.locator('body').innerText();
      const leaked = /(^|\s)(null|undefined|NaN|\[object Object\])(\s|$)/.exec(text);
      if (leaked) throw new Error(`${name}: the page shows "${leaked[2]}"`);
      if (!stack.screenshotDir) return;
      mkdirSync(stack.screenshotDir, { recursive: true });
      // Let toasts and focus rings settle so the pictures are stable.
      await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
      await page.screenshot({ path: path.join(stack.screenshotDir, `${name}.png`), fullPage: opts.fullPage ?? false });
    },
    logs() { return `--- server log ---\n${server.logText()}\n--- sandbox log ---\n${sandbox.logText()}`; },
    async stop() {
      await browser.close().catch(() => {});
      for (const p of [server, sandbox]) {
        if (p.exitCode === null) {
          p.kill('SIGTERM');
          const done = new Promise((r) => p.once('exit', r));
          await Promise.race([done, sleep(5000)]);
          if (p.exitCode === null) p.kill('SIGKILL');
        }
      }
      // The processes' output stays for a look after a failure.
      const logFile = path.join(tmpdir(), 'hs-browser-last-run.log');
      writeFileSync(logFile, stack.logs());
      console.log(`server and sandbox output: ${logFile}`);
      if (!process.env.HS_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
    },
  };
  return stack;
}

// A small JSON API client (for test data and checks; the flows themselves use the browser).
export class ApiClient {
  constructor(baseUrl) { this.baseUrl = baseUrl; this.cookie = ''; this.csrf = ''; }

  async login(email = OWNER.email, password = OWNER.password) {
    const res = await fetch(`${this.baseUrl}/api/v1/session`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }),
    });
    if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
    this.cookie = res.headers.get('set-cookie').split(';')[0];
    this.csrf = (await res.json()).csrf_token;
  }

  async call(method, p, body) {
    const headers = { Cookie: this.cookie, Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = this.csrf;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}/api/v1${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return data;
  }
}

export async function sandboxJson(stack, method, p, body) {
  const res = await fetch(`${stack.sandboxUrl}/__sandbox${p}`, {
    method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`sandbox ${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// The school's current sevdesk token: flow 5 regenerates it (stack.sevdeskToken).
export async function sandboxVouchers(stack, token = stack.sevdeskToken ?? GOOD_TOKEN) {
  const acc = await sandboxJson(stack, 'GET', `/accounts/${token}`);
  return acc.vouchers.map((v) => v.voucher);
}

export async function login(page, stack) {
  await page.goto(`${stack.baseUrl}/`);
  await page.getByLabel('E-Mail-Adresse').fill(OWNER.email);
  await page.getByLabel('Passwort').fill(OWNER.password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.getByTestId('school-name').waitFor();
}
