// Zahlungsabgleich (issue 16) in Chromium against the real binary and the sevdesk sandbox: the
// settings card syncs on "Jetzt abgleichen", a voucher deleted in sevdesk shows on the receipt,
// and "Erneut übertragen" sends it once more. Screenshots go to HS_SCREENSHOT_DIR (see ui.test.js).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, ApiClient, sandboxJson, sandboxVouchers, login, GOOD_TOKEN, completeSchoolSettings, norm, TODAY } from '../lib/harness.js';


let stack;
let api;
let page;
let receipt;

async function until(what, fn, timeoutMs = 30000, stepMs = 250) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

const sevdeskOf = async (id) => (await api.call('GET', `/receipts/${id}/sevdesk`)).sevdesk;

before(async () => {
  const shots = process.env.HS_SCREENSHOT_DIR !== 'off';
  stack = await startStack({ screenshots: shots });
  api = new ApiClient(stack.baseUrl);
  await api.login();
  await completeSchoolSettings(api);
  await api.call('PUT', '/integrations/sevdesk', { api_token: GOOD_TOKEN });
  const t = await api.call('POST', '/integrations/sevdesk/test');
  assert.equal(t.ok, true, `connection test: ${JSON.stringify(t)}`);
  await api.call('PUT', '/integrations/sevdesk', { enabled: true, revenue_account_id: t.revenue_accounts[0].id });
  const c = await api.call('POST', '/customers', {
    kind: 'person', first_name: 'Anna', last_name: 'Becker', email: 'anna@example.org',
    address: { street: 'Lindenweg 1', zip: '79100', city: 'Freiburg', country: 'DE' },
  });
  const draft = await api.call('POST', '/invoices', {
    customer_id: c.id, invoice_date: TODAY,
    lines: [{ text: 'Einzelstunde', quantity: '1', unit: 'Std.', unit_price_cents: 5500, vat_rate: 19 }],
  });
  const inv = await api.call('POST', `/invoices/${draft.id}/finalize`);
  const list = await api.call('GET', `/receipts?type=income&q=${encodeURIComponent(inv.number)}`);
  receipt = list.items.find((r) => r.number === inv.number).id;
  await until('the transfer', async () => (await sevdeskOf(receipt)).status === 'transferred');
  page = await stack.newPage();
  await login(page, stack);
});

after(async () => {
  if (page) assert.deepEqual(page.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), [], 'no JavaScript errors in the page');
  await stack?.stop();
});

test('a voucher deleted in sevdesk is found with "Jetzt abgleichen" and transferred again', async () => {
  const first = (await sevdeskOf(receipt)).voucher_id;
  await sandboxJson(stack, 'DELETE', `/accounts/${GOOD_TOKEN}/vouchers/${first}`);

  await page.goto(`${stack.baseUrl}/#/einstellungen/erweiterungen/sevdesk`);
  const card = page.getByTestId('payment-sync');
  await card.getByRole('heading', { name: 'Zahlungsabgleich' }).waitFor();
  await card.getByTestId('payment-sync-run').click();
  await until('the sync', async () => {
    await page.reload();
    await card.getByTestId('payment-sync-last').waitFor();
    return /Zuletzt abgeglichen am .* – 0 Belege, 2 Anfragen/.test(norm(await card.getByTestId('payment-sync-last').textContent()));
  });
  await stack.shot(page, '30-zahlungsabgleich');

  // The receipts list shows it too, in the API and in the row.
  const listed = await api.call('GET', '/receipts?type=income');
  assert.equal(listed.items.find((r) => r.id === receipt).sevdesk.voucher_state.presence, 'deleted');
  await page.goto(`${stack.baseUrl}/#/belege`);
  const row = page.locator('[data-presence="deleted"]').first();
  await row.waitFor();
  assert.equal(norm(await row.textContent()), 'in sevdesk gelöscht');

  await page.goto(`${stack.baseUrl}/#/belege/${receipt}`);
  const gone = page.locator('[data-presence="deleted"]').first();
  await gone.waitFor();
  assert.equal(norm(await gone.textContent()), 'in sevdesk gelöscht');
  await page.getByText('Der Beleg wurde in sevdesk gelöscht. Sie können ihn erneut übertragen.').waitFor();
  await page.getByRole('button', { name: 'Erneut übertragen' }).click();
  await until('the new voucher', async () => {
    const sd = await sevdeskOf(receipt);
    return sd.status === 'transferred' && sd.voucher_id !== first;
  });
  const vouchers = await sandboxVouchers(stack);
  assert.equal(vouchers.length, 1, 'exactly one voucher in sevdesk');
  assert.equal(await page.getByRole('button', { name: 'Erneut übertragen' }).count(), 0);
});
