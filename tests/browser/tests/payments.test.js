// "Zahlung erfassen" (issue 16, ADR 0019) in Chromium against the real binary and the sevdesk
// sandbox: the school chooses its Kasse in the sevdesk settings, records a partial payment typed
// in German ("12,50") on a transferred invoice, sees "In sevdesk gebucht" and the open amount, and
// sevdesk holds exactly that booking.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, ApiClient, login, sandboxVouchers, GOOD_TOKEN, completeSchoolSettings, norm } from '../lib/harness.js';


let stack;
let api;
let page;
let invoice;

async function until(what, fn, timeoutMs = 30000, stepMs = 200) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

before(async () => {
  stack = await startStack({ screenshots: process.env.HS_SCREENSHOT_DIR !== 'off' });
  api = new ApiClient(stack.baseUrl);
  await api.login();
  await completeSchoolSettings(api);
  await api.call('PUT', '/integrations/sevdesk', { api_token: GOOD_TOKEN });
  assert.equal((await api.call('POST', '/integrations/sevdesk/test')).ok, true);
  await api.call('PUT', '/integrations/sevdesk', { enabled: true });
  const customer = await api.call('POST', '/customers', { kind: 'person', first_name: 'Paula', last_name: 'Zahl' });
  const draft = await api.call('POST', '/invoices', {
    customer_id: customer.id, invoice_date: '2025-03-01',
    lines: [{ text: 'Einzelstunde', quantity: '1', unit: '', unit_price_cents: 5000, vat_rate: 19 }],
  });
  invoice = await api.call('POST', `/invoices/${draft.id}/finalize`, {});
  await until('the transfer', async () => (await sandboxVouchers(stack)).length === 1);
  page = await stack.newPage();
  await login(page, stack);
});

after(async () => {
  if (page) assert.deepEqual(page.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), [], 'no JavaScript errors in the page');
  await stack?.stop();
});

test('the Kasse is chosen in the settings; a bank account is not offered', async () => {
  await page.goto(`${stack.baseUrl}/#/einstellungen/erweiterungen/sevdesk`);
  const card = page.getByTestId('payment-account');
  await card.getByLabel('Zahlungskonto').waitFor();
  assert.match(norm(await card.textContent()), /Ohne Zahlungskonto werden Zahlungen nur hier erfasst, nicht in sevdesk gebucht\./);
  const options = (await card.getByLabel('Zahlungskonto').locator('option').allTextContents()).map(norm);
  assert.equal(options[0], 'Keines – Zahlungen nur hier erfassen');
  assert.ok(options.slice(1).length >= 1 && options.slice(1).every((o) => /\((Kasse|Offline-Konto)\)$/.test(o)), options.join(' | '));
  await card.getByLabel('Zahlungskonto').selectOption({ index: 1 });
  await card.getByRole('button', { name: 'Speichern' }).click();
  await until('the choice', async () => (await api.call('GET', '/integrations/sevdesk/payment-account')).payment_account_id);
  await stack.shot(page, 'payments-settings');
});

test('a partial payment typed in German is booked in sevdesk at once', async () => {
  await page.goto(`${stack.baseUrl}/#/rechnungen/${invoice.id}`);
  const payments = page.getByTestId('payments');
  await payments.getByTestId('open').waitFor();
  assert.equal(norm(await payments.getByTestId('open').textContent()), '59,50 €');
  await payments.getByTestId('record-payment').click();
  const form = payments.getByTestId('payment-form');
  assert.equal(await form.getByLabel('Betrag (€)').inputValue(), '59,50');  // the open amount
  await form.getByLabel('Betrag (€)').fill('12,50');
  await form.getByLabel('Zahlungsart').selectOption('card');
  await form.getByRole('button', { name: 'Zahlung speichern' }).click();
  const row = payments.locator('tr[data-booking]');
  await row.first().waitFor();
  assert.equal(await row.first().getAttribute('data-booking'), 'booked');
  assert.match(norm(await row.first().textContent()), /EC-Karte\s*12,50 €\s*In sevdesk gebucht/);
  assert.equal(norm(await payments.getByTestId('open').textContent()), '47,00 €');
  assert.equal(norm(await payments.getByTestId('paid').textContent()), '12,50 €');
  await stack.shot(page, 'payments-booked');
  const vouchers = await sandboxVouchers(stack);
  assert.equal(Number(vouchers[0].paidAmount), 12.5);
  assert.equal(String(vouchers[0].status), '750');
});

test('a wrong amount is shown at its field; nothing is sent', async () => {
  const payments = page.getByTestId('payments');
  await payments.getByTestId('record-payment').click();
  const form = payments.getByTestId('payment-form');
  await form.getByLabel('Betrag (€)').fill('100,00');
  await form.getByRole('button', { name: 'Zahlung speichern' }).click();
  await form.getByText(/höher als der offene Betrag \(47,00/).waitFor();
  await form.getByLabel('Betrag (€)').fill('zwölf');
  await form.getByRole('button', { name: 'Zahlung speichern' }).click();
  await form.getByText('Bitte einen Betrag wie 12,50 eingeben.').waitFor();
  const vouchers = await sandboxVouchers(stack);
  assert.equal(Number(vouchers[0].paidAmount), 12.5);
});

test('375 px: the payments card and its form fit the phone; the rest is paid there', async () => {
  const phone = await stack.newPage({ width: 375, height: 740 });
  try {
    await login(phone, stack);
    await phone.goto(`${stack.baseUrl}/#/rechnungen/${invoice.id}`);
    const payments = phone.getByTestId('payments');
    await payments.getByTestId('open').waitFor();
    await payments.getByTestId('record-payment').click();
    const form = payments.getByTestId('payment-form');
    assert.equal(await form.getByLabel('Betrag (€)').inputValue(), '47,00');  // the rest
    const [scroll, inner] = await phone.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(scroll <= 375 && scroll <= inner, `invoice with the payment form: page is ${scroll}px wide at ${inner}px`);
    await form.scrollIntoViewIfNeeded();
    await stack.shot(phone, 'payments-mobil-formular');
    await form.getByRole('button', { name: 'Zahlung speichern' }).click();
    await until('paid in full', async () => norm(await payments.getByTestId('open').textContent()) === '0,00 €');
    assert.match(norm(await phone.getByTestId('invoice-payment').textContent()), /^bezahlt am \d{2}\.\d{2}\.\d{4}$/);
    const vouchers = await sandboxVouchers(stack);
    assert.equal(Number(vouchers[0].paidAmount), 59.5);
    assert.equal(String(vouchers[0].status), '1000');
    assert.deepEqual(phone.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), []);
  } finally {
    await phone.context().close();
  }
});
