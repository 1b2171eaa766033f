// Instant search (issue 18) in Chromium against the real binary: the customers, invoices and
// receipts lists follow the typing (umlauts written as ae/oe/ue, ß as ss, numbers without their
// prefix and zeros), and a search without hits says so and offers the way back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, ApiClient, login, completeSchoolSettings, norm, TODAY } from '../lib/harness.js';


let stack;
let api;
let page;
let invoice;

async function open(p, route, heading) {
  await p.goto(`${stack.baseUrl}/#/${route}`);
  await p.getByRole('heading', { name: heading, exact: true }).waitFor();
  await p.waitForFunction(() => !document.querySelector('main[aria-busy]') && !document.querySelector('tbody.loading'));
}

// Types like a person (one key at a time) and waits until the list shows `expect` rows.
async function typeAndWait(p, input, text, expectRows) {
  await input.fill('');
  await input.pressSequentially(text, { delay: 40 });
  await p.waitForFunction(([n]) => {
    const body = document.querySelector('tbody');
    if (!body || body.classList.contains('loading')) return false;
    const rows = [...body.querySelectorAll('tr')].filter((r) => !r.classList.contains('no-hits') && !r.querySelector('td.empty') && !r.classList.contains('skeleton'));
    return rows.length === n;
  }, [expectRows], { timeout: 10000 });
}

before(async () => {
  const shots = process.env.HS_SCREENSHOT_DIR !== 'off';
  stack = await startStack({ screenshots: shots });
  api = new ApiClient(stack.baseUrl);
  await api.login();
  await completeSchoolSettings(api);
  const mueller = await api.call('POST', '/customers', {
    kind: 'person', first_name: 'Jürgen', last_name: 'Müller', email: 'jm@example.org',
    address: { street: 'Lindenstraße 4', zip: '79100', city: 'Freiburg', country: 'DE' },
  });
  await api.call('POST', '/customers', { kind: 'person', first_name: 'Ole', last_name: 'Brandt', email: 'ole@example.org' });
  const draft = await api.call('POST', '/invoices', {
    customer_id: mueller.id, invoice_date: TODAY,
    lines: [{ text: 'Welpenkurs Sonnenschein', quantity: '1', unit: 'Kurs', unit_price_cents: 12000, vat_rate: 19 }],
  });
  invoice = await api.call('POST', `/invoices/${draft.id}/finalize`, {});
  page = await stack.newPage();
  await login(page, stack);
});

after(async () => {
  if (page) assert.deepEqual(page.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), [], 'no JavaScript errors in the page');
  await stack?.stop();
});

test('customers: mueller finds Müller as it is typed, and no hits say so', async () => {
  await open(page, 'kunden', 'Kunden');
  const search = page.locator('#customer-search');
  await typeAndWait(page, search, 'mueller', 1);
  assert.match(norm(await page.locator('tbody').textContent()), /Müller/);
  await typeAndWait(page, search, 'freib', 1);
  await typeAndWait(page, search, 'gibtesnicht', 0);
  const none = page.locator('tr.no-hits');
  await none.waitFor();
  assert.match(norm(await none.textContent()), /Keine Treffer für „gibtesnicht“/);
  await stack.shot(page, '40-suche-keine-treffer');
  await none.getByRole('button', { name: 'Suche leeren' }).click();
  await page.waitForFunction(() => document.querySelectorAll('tbody tr:not(.no-hits):not(.skeleton)').length === 2);
  assert.equal(await search.inputValue(), '');
  assert.equal(await search.evaluate((el) => el === document.activeElement), true, 'the focus goes back to the search box');
});

test('invoices: found by a word start of a line text and by the number without its prefix', async () => {
  await open(page, 'rechnungen', 'Rechnungen');
  const search = page.locator('#invoice-search');
  await typeAndWait(page, search, 'sonnen', 1);
  const sequence = String(Number(invoice.number.split('-').pop()));
  await typeAndWait(page, search, sequence, 1);
  assert.match(norm(await page.locator('tbody').textContent()), new RegExp(invoice.number));
  await typeAndWait(page, search, 'ole', 0);
});

test('receipts: the income receipt is found by the customer written without umlauts', async () => {
  await open(page, 'belege', 'Belege');
  const search = page.getByRole('searchbox', { name: 'Suche' });
  await typeAndWait(page, search, 'juergen', 1);
  await typeAndWait(page, search, 'juergen xyz', 0);
  assert.match(norm(await page.locator('tr.no-hits').textContent()), /Keine Treffer für „juergen xyz“/);
});
