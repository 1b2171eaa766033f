// Paid status (issue 16) in Chromium against the real binary and the sevdesk sandbox: the
// invoices list shows each invoice's payment state, the start page counts the overdue ones, the
// payment filter narrows the list, and an invoice shows its due date and state, at desktop width
// and at 375 px. Screenshots go to HS_SCREENSHOT_DIR (see ui.test.js).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, ApiClient, login, GOOD_TOKEN, completeSchoolSettings, norm } from '../lib/harness.js';

const berlinDate = (offsetDays) => new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit',
}).format(new Date(Date.now() + offsetDays * 86400000));
const germanDate = (iso) => iso.split('-').reverse().join('.');

let stack;
let api;
let page;
const inv = {};

async function finalized(customerId, date, cents) {
  const draft = await api.call('POST', '/invoices', {
    customer_id: customerId, invoice_date: date,
    lines: [{ text: 'Gruppenkurs Alltagstraining', quantity: '1', unit: 'Kurs', unit_price_cents: cents, vat_rate: 19 }],
  });
  return api.call('POST', `/invoices/${draft.id}/finalize`, {});
}

async function noHorizontalScroll(p, what) {
  const [scroll, inner] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= 375 && scroll <= inner, `${what}: page is ${scroll}px wide at ${inner}px`);
}

async function openInvoices(p, query = '') {
  await p.goto(`${stack.baseUrl}/#/rechnungen${query}`);
  await p.getByRole('heading', { name: 'Rechnungen', exact: true }).waitFor();
  await p.waitForFunction(() => !document.querySelector('main[aria-busy]') && !document.querySelector('tbody.loading'));
}

const row = (p, number) => p.locator('tbody tr').filter({ hasText: number });

before(async () => {
  const shots = process.env.HS_SCREENSHOT_DIR !== 'off';
  stack = await startStack({ screenshots: shots });
  api = new ApiClient(stack.baseUrl);
  await api.login();
  await completeSchoolSettings(api);
  await api.call('PUT', '/integrations/sevdesk', { api_token: GOOD_TOKEN });
  const t = await api.call('POST', '/integrations/sevdesk/test');
  assert.equal(t.ok, true, `connection test: ${JSON.stringify(t)}`);
  await api.call('PUT', '/integrations/sevdesk', { enabled: true });
  const greta = await api.call('POST', '/customers', { kind: 'person', first_name: 'Greta', last_name: 'Neumann', email: 'greta@example.org' });
  const ole = await api.call('POST', '/customers', { kind: 'person', first_name: 'Ole', last_name: 'Brandt', email: 'ole@example.org' });
  // The school's payment term is 14 days: 40 days ago is overdue, today is open.
  inv.overdue = await finalized(greta.id, berlinDate(-40), 10000);
  inv.open = await finalized(ole.id, berlinDate(0), 4550);
  page = await stack.newPage();
  await login(page, stack);
});

after(async () => {
  if (page) assert.deepEqual(page.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), [], 'no JavaScript errors in the page');
  await stack?.stop();
});

test('the start page counts the overdue invoices and each row shows its payment state', async () => {
  await openInvoices(page);
  const notice = page.getByTestId('overdue-count');
  await notice.waitFor();
  assert.match(norm(await notice.textContent()), /^1 Rechnung überfällig – 119,00 € offen/);
  const overdueSince = germanDate(berlinDate(-40 + 15));
  assert.equal(norm(await row(page, inv.overdue.number).getByTestId('payment-status').textContent()), `überfällig seit ${overdueSince}`);
  assert.equal(norm(await row(page, inv.open.number).getByTestId('payment-status').textContent()), `offen (fällig am ${germanDate(berlinDate(14))})`);
  await stack.shot(page, '30-rechnungen-zahlungsstatus');

  await notice.getByRole('button', { name: 'Überfällige anzeigen' }).click();
  await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1 && !document.querySelector('tbody.loading'));
  assert.equal(await page.getByLabel('Zahlung').inputValue(), 'overdue');
  assert.equal(await row(page, inv.open.number).count(), 0);
  assert.equal(await row(page, inv.overdue.number).count(), 1);
  assert.match(page.url(), /zahlung=overdue/);
  assert.equal(await page.getByTestId('overdue-count').count(), 0, 'no notice above the overdue list itself');

  await page.getByLabel('Zahlung').selectOption('paid');
  await page.getByText('Keine passenden Rechnungen.').waitFor();
});

test('an invoice shows its due date and payment state', async () => {
  await page.goto(`${stack.baseUrl}/#/rechnungen/${inv.overdue.id}`);
  await page.getByRole('heading', { level: 1, name: `Rechnung ${inv.overdue.number}` }).waitFor();
  const due = page.getByText('Fällig am', { exact: true }).locator('..');
  assert.equal(norm(await due.locator('dd').textContent()), germanDate(berlinDate(-40 + 14)));
  assert.match(norm(await page.getByTestId('invoice-payment').textContent()), /^überfällig seit /);
});

test('375 px: the list with its payment column and notice has no horizontal scrolling', async () => {
  const phone = await stack.newPage({ width: 375, height: 740 });
  try {
    await login(phone, stack);
    await openInvoices(phone);
    await phone.getByTestId('overdue-count').waitFor();
    await noHorizontalScroll(phone, 'Rechnungen');
    await stack.shot(phone, '31-mobil-rechnungen-zahlungsstatus', { fullPage: true });
    assert.deepEqual(phone.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), []);
  } finally {
    await phone.context().close();
  }
});
