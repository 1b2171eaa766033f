// Kundenabgleich (issue 15) in Chromium against the real binary and the sevdesk sandbox: the
// sandbox account starts with contacts that exist before hundeschule; the matching links the
// unique one, the school decides the rest on the review page, at desktop width and at 375 px.
// Screenshots go to HS_SCREENSHOT_DIR (see ui.test.js).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, ApiClient, sandboxJson, login, GOOD_TOKEN, completeSchoolSettings, norm, TODAY } from '../lib/harness.js';

const MATCHING = '#/einstellungen/erweiterungen/sevdesk/kundenabgleich';

// Contacts the school already has in sevdesk.
const CONTACTS = [
  { surename: 'Hannah', familyname: 'Vogel', customerNumber: '1001',
    addresses: [{ street: 'Rosenweg 5', zip: '79102', city: 'Freiburg' }],
    communicationWays: [{ type: 'EMAIL', value: 'hannah.vogel@example.org', main: true }] },
  // Two of the same name in different towns, neither with an e-mail address.
  { surename: 'Jakob', familyname: 'Richter', customerNumber: '1002',
    addresses: [{ street: 'Mühlenweg 30', zip: '79104', city: 'Freiburg' }] },
  { surename: 'Jakob', familyname: 'Richter', customerNumber: '1003',
    addresses: [{ street: 'Elbchaussee 12', zip: '22763', city: 'Hamburg' }] },
  // The umlaut lost its dots, no address: a candidate, never a sure one.
  { surename: 'Lena', familyname: 'Kruger', customerNumber: '1004' },
  { name: 'Tierarztpraxis Sonnenschein', customerNumber: '1005',
    addresses: [{ street: 'Am Markt 1', zip: '79098', city: 'Freiburg' }] },
];

const CUSTOMERS = {
  hannah: { first_name: 'Hannah', last_name: 'Vogel', email: 'hannah.vogel@example.org', address: { street: 'Rosenweg 5', zip: '79102', city: 'Freiburg' } },
  jakob: { first_name: 'Jakob', last_name: 'Richter', email: 'jakob.richter@example.org', address: { street: 'Mühlenweg 3', zip: '79104', city: 'Freiburg' } },
  lena: { first_name: 'Lena', last_name: 'Krüger', email: 'lena.krueger@example.org', address: { street: 'Talstraße 8', zip: '79102', city: 'Freiburg' } },
  ole: { first_name: 'Ole', last_name: 'Brandt', email: 'ole.brandt@example.org', address: { street: 'Schwarzwaldstraße 20', zip: '79117', city: 'Freiburg' } },
};

let stack;
let api;
let page;
const ids = {};

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

// The account's contacts, addresses and e-mails as sevdesk has them: nothing may change unasked.
async function sevdeskContacts() {
  const acc = await sandboxJson(stack, 'GET', `/accounts/${GOOD_TOKEN}`);
  return { contacts: acc.contacts, addresses: acc.contactAddresses, ways: acc.communicationWays };
}

const section = (p, key) => p.getByTestId(`match-${key}`);
const item = (p, key, name) => section(p, key).getByTestId('match-item').filter({ hasText: name });

async function openMatching(p) {
  await p.goto(`${stack.baseUrl}/${MATCHING}`);
  await p.getByRole('heading', { name: 'Kundenabgleich', exact: true }).waitFor();
  await p.waitForFunction(() => !document.querySelector('main[aria-busy]'));
}

async function noHorizontalScroll(p, what) {
  const [scroll, inner] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= 375 && scroll <= inner, `${what}: page is ${scroll}px wide at ${inner}px`);
}

before(async () => {
  const shots = process.env.HS_SCREENSHOT_DIR !== 'off';
  stack = await startStack({ screenshots: shots });
  api = new ApiClient(stack.baseUrl);
  await api.login();
  await completeSchoolSettings(api);
  const seeded = await sandboxJson(stack, 'POST', `/accounts/${GOOD_TOKEN}/contacts`, { contacts: CONTACTS });
  assert.equal(seeded.seeded, CONTACTS.length);
  for (const [key, c] of Object.entries(CUSTOMERS)) {
    const created = await api.call('POST', '/customers', { kind: 'person', ...c, address: { ...c.address, country: 'DE' } });
    ids[key] = created.id;
  }
  // Connected as in flow 1 of ui.test.js (token, a successful test), not yet active: activating
  // runs the Kundenabgleich by itself; here the page starts it.
  await api.call('PUT', '/integrations/sevdesk', { api_token: GOOD_TOKEN });
  const t = await api.call('POST', '/integrations/sevdesk/test');
  assert.equal(t.ok, true, `connection test: ${JSON.stringify(t)}`);
  page = await stack.newPage();
  await login(page, stack);
});

after(async () => {
  if (page) assert.deepEqual(page.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), [], 'no JavaScript errors in the page');
  await stack?.stop();
});

let before1;
test('the run links the unique match and lists the others for review', async () => {
  await page.goto(`${stack.baseUrl}/#/einstellungen/erweiterungen/sevdesk`);
  await page.getByTestId('open-matching').click();
  await page.getByRole('heading', { name: 'Kundenabgleich', exact: true }).waitFor();
  const crumbs = norm(await page.getByRole('navigation', { name: 'Brotkrumen' }).textContent());
  assert.equal(crumbs, 'Erweiterungen › Sevdesk › Kundenabgleich');
  assert.match(norm(await page.getByTestId('last-run').textContent()), /noch nicht gelaufen/);
  // The settings with their defaults.
  assert.equal(await page.getByLabel('Eindeutige Treffer automatisch verknüpfen').isChecked(), true);
  assert.equal(await page.getByLabel('Neue Kontakte ohne Rückfrage anlegen').isChecked(), false);
  assert.equal(await page.getByRole('radio', { name: /^Nein/ }).isChecked(), true);

  before1 = await sevdeskContacts();
  await page.getByRole('button', { name: 'Kundenabgleich starten' }).click();
  await page.getByTestId('last-run').locator('[data-fact="at"]').waitFor();
  const fact = async (key) => norm(await page.getByTestId('last-run').locator(`[data-fact="${key}"] dd`).textContent());
  assert.equal(await fact('contacts'), String(CONTACTS.length));
  assert.equal(await fact('auto_linked'), '1');
  assert.equal(await fact('review'), '2');

  // Hannah Vogel: same name, address and e-mail, nobody else: linked automatically.
  const hannah = item(page, 'linked', 'Hannah Vogel');
  await hannah.waitFor();
  assert.match(norm(await hannah.textContent()), /Automatisch verknüpft mit/);
  // Jakob Richter: two contacts of that name; the one in his postal code first.
  const jakob = item(page, 'review', 'Jakob Richter');
  const candidates = jakob.getByTestId('candidate');
  assert.equal(await candidates.count(), 2);
  assert.match(norm(await candidates.nth(0).textContent()), /Mühlenweg 30/);
  assert.match(norm(await candidates.nth(1).textContent()), /Hamburg/);
  assert.ok(await candidates.nth(0).locator('.ev').count() > 0, 'evidence badges');
  await item(page, 'review', 'Lena Krüger').waitFor();
  // Ole Brandt has no candidate: he gets a new contact without asking and is no question.
  assert.equal(await page.getByTestId('match-item').filter({ hasText: 'Ole Brandt' }).count(), 0);
  await stack.shot(page, '20-kundenabgleich', { fullPage: true });
  assert.deepEqual(await sevdeskContacts(), before1, 'the run changes nothing in sevdesk');
});

test('375 px: cards stack without horizontal scrolling; Später works there', async () => {
  const phone = await stack.newPage({ width: 375, height: 740 });
  try {
    await login(phone, stack);
    await openMatching(phone);
    await item(phone, 'review', 'Jakob Richter').waitFor();
    await noHorizontalScroll(phone, 'Kundenabgleich');
    await item(phone, 'review', 'Jakob Richter').scrollIntoViewIfNeeded();
    await stack.shot(phone, '21-mobil-kundenabgleich');

    const lena = item(phone, 'review', 'Lena Krüger');
    await lena.getByRole('button', { name: 'Später' }).click();
    await item(phone, 'later', 'Lena Krüger').waitFor();
    assert.equal(await item(phone, 'review', 'Lena Krüger').count(), 0);
    await noHorizontalScroll(phone, 'after Später');
    await stack.shot(phone, '22-mobil-kundenabgleich-spaeter', { fullPage: true });
    assert.deepEqual(phone.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), []);
  } finally {
    await phone.context().close();
  }
});

test('Verknüpfen on the right candidate, Verknüpfung lösen, Alle eindeutigen übernehmen', async () => {
  await openMatching(page);
  const jakob = item(page, 'review', 'Jakob Richter');
  await jakob.getByTestId('candidate').filter({ hasText: 'Mühlenweg 30' }).getByRole('button', { name: /^Verknüpfen/ }).click();
  const linked = item(page, 'linked', 'Jakob Richter');
  await linked.waitFor();
  assert.match(norm(await linked.textContent()), /Von Ihnen verknüpft mit/);
  assert.match(norm(await linked.textContent()), /Mühlenweg 30/);
  assert.equal(await item(page, 'review', 'Jakob Richter').count(), 0);
  const m = await api.call('GET', '/integrations/sevdesk/matching');
  const jakobEntry = m.items.find((i) => i.customer.id === ids.jakob);
  const freiburg = jakobEntry.candidates.find((c) => c.customer_number === '1002');
  assert.equal(jakobEntry.linked_contact_id, freiburg.contact_id, 'linked to the contact in Freiburg');

  // Undo Hannah's automatic link: the dialog says what stays as it is.
  await item(page, 'linked', 'Hannah Vogel').getByRole('button', { name: 'Verknüpfung lösen' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  assert.match(norm(await dialog.textContent()), /schon übertragen sind, bleiben in sevdesk beim bisherigen Kontakt/);
  await stack.shot(page, '23-kundenabgleich-verknuepfung-loesen');
  await dialog.getByRole('button', { name: 'Verknüpfung lösen' }).click();
  await item(page, 'review', 'Hannah Vogel').waitFor();
  assert.equal(await item(page, 'linked', 'Hannah Vogel').count(), 0);

  // She is unambiguous: the bulk action takes her back.
  const bulk = page.getByRole('button', { name: 'Alle eindeutigen übernehmen (1)' });
  await bulk.click();
  await item(page, 'linked', 'Hannah Vogel').waitFor();
  assert.equal(await item(page, 'review', 'Hannah Vogel').count(), 0);
  assert.equal(await page.getByTestId('accept-unambiguous').count(), 0);
  await stack.shot(page, '24-kundenabgleich-verknuepft', { fullPage: true });
  assert.deepEqual(await sevdeskContacts(), before1, 'linking and unlinking change nothing in sevdesk');
});

test('the settings are saved', async () => {
  await openMatching(page);
  await page.getByLabel('Neue Kontakte ohne Rückfrage anlegen').check();
  await page.getByRole('button', { name: 'Einstellungen speichern' }).click();
  await page.locator('.toast', { hasText: 'Einstellungen gespeichert' }).waitFor();
  assert.equal((await api.call('GET', '/integrations/sevdesk/matching')).settings.create_without_asking, true);
  await page.reload();
  await page.getByRole('heading', { name: 'Kundenabgleich', exact: true }).waitFor();
  assert.equal(await page.getByLabel('Neue Kontakte ohne Rückfrage anlegen').isChecked(), true);
  await page.getByLabel('Neue Kontakte ohne Rückfrage anlegen').uncheck();
  await page.getByRole('button', { name: 'Einstellungen speichern' }).click();
  await until('the setting back off', async () => (await api.call('GET', '/integrations/sevdesk/matching')).settings.create_without_asking === false);
});

test('a receipt waits for the decision; Neu in sevdesk anlegen sends it', async () => {
  // Activating runs the matching again: the decisions made on the page stay.
  await api.call('PUT', '/integrations/sevdesk', { enabled: true });
  const m = await api.call('GET', '/integrations/sevdesk/matching');
  assert.deepEqual(m.items.map((i) => [i.customer.name, i.state]).sort(),
    [['Hannah Vogel', 'linked'], ['Jakob Richter', 'linked'], ['Lena Krüger', 'later']]);
  const draft = await api.call('POST', '/invoices', {
    customer_id: ids.lena, invoice_date: TODAY,
    lines: [{ text: 'Einzelstunde Leinenführigkeit', quantity: '1', unit: 'Std.', unit_price_cents: 5500, vat_rate: 19 }],
  });
  const inv = await api.call('POST', `/invoices/${draft.id}/finalize`);
  const receiptStatus = async () => {
    const list = await api.call('GET', `/receipts?type=income&q=${encodeURIComponent(inv.number)}`);
    return list.items.find((r) => r.number === inv.number)?.sevdesk.status;
  };
  await until('the receipt to wait for the matching', async () => (await receiptStatus()) === 'awaiting_match');
  await page.goto(`${stack.baseUrl}/#/belege?type=income&q=${encodeURIComponent(inv.number)}`);
  const cell = page.locator(`tr[data-number="${inv.number}"] [data-sevdesk]`);
  await cell.waitFor();
  assert.equal(await cell.getAttribute('data-sevdesk'), 'awaiting_match');
  assert.match(norm(await cell.textContent()), /wartet auf Kundenabgleich/);
  await stack.shot(page, '25-beleg-wartet-auf-kundenabgleich');
  assert.equal(await cell.getByRole('link', { name: 'Zum Kundenabgleich' }).count(), 1);
  // The receipt's page says what to do and links there too.
  await page.getByRole('link', { name: inv.number }).click();
  const note = page.locator('.note', { hasText: 'Kundenabgleich' });
  await note.waitFor();
  assert.match(norm(await note.textContent()), /Kundenabgleich/);
  await note.getByRole('link', { name: 'Zum Kundenabgleich' }).click();

  const lena = item(page, 'later', 'Lena Krüger');
  await lena.waitFor();
  assert.match(norm(await lena.getByTestId('waiting-receipts').textContent()), /1 Beleg wartet/);
  await lena.getByRole('button', { name: 'Neu in sevdesk anlegen' }).click();
  await until('Lena to leave the list', async () => (await page.getByTestId('match-item').filter({ hasText: 'Lena Krüger' }).count()) === 0);
  await until('the receipt to be transferred', async () => (await receiptStatus()) === 'transferred');
  const after1 = await sevdeskContacts();
  assert.equal(after1.contacts.length, CONTACTS.length + 1, 'one new contact for Lena Krüger');
});
