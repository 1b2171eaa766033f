// The five flows of the sevdesk help page, end to end in Chromium against the real binary and
// the sevdesk sandbox, plus a 375 px check. Screenshots of the main screens go to
// docs/screenshots/ (HS_SCREENSHOT_DIR overrides, HS_SCREENSHOT_DIR=off disables).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, ApiClient, sandboxJson, sandboxVouchers, login, GOOD_TOKEN, REGENERATED_TOKEN, WRONG_TOKEN, SCHOOL, completeSchoolSettings, norm, TODAY } from '../lib/harness.js';

let stack;
let api;
let page;

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

async function finalizedInvoice(customerId, text, cents) {
  const draft = await api.call('POST', '/invoices', {
    customer_id: customerId, invoice_date: TODAY,
    lines: [{ text, quantity: '1', unit: 'Std.', unit_price_cents: cents, vat_rate: 19 }],
  });
  return api.call('POST', `/invoices/${draft.id}/finalize`);
}

async function receiptOf(invoiceNumber) {
  const list = await api.call('GET', `/receipts?type=income&q=${encodeURIComponent(invoiceNumber)}`);
  return list.items.find((r) => r.number === invoiceNumber);
}

async function rowStatus(number) {
  const cell = page.locator(`tr[data-number="${number}"] [data-sevdesk]`);
  if (await cell.count() === 0) return null;
  return cell.first().getAttribute('data-sevdesk');
}

before(async () => {
  const shots = process.env.HS_SCREENSHOT_DIR !== 'off';
  stack = await startStack({ screenshots: shots });
  api = new ApiClient(stack.baseUrl);
  await api.login();
  await completeSchoolSettings(api);
  // 50 income receipts from before the connection existed (5 customers, 10 invoices each).
  const names = [['Anna', 'Becker'], ['Jonas', 'Schmidt'], ['Lea', 'Wagner'], ['Paul', 'Hoffmann'], ['Mia', 'Schulz']];
  for (const [first, last] of names) {
    const c = await api.call('POST', '/customers', {
      kind: 'person', first_name: first, last_name: last, email: `${first.toLowerCase()}@example.org`,
      address: { street: 'Lindenweg 1', zip: '79100', city: 'Freiburg', country: 'DE' }, dogs: [{ name: 'Bello', breed: 'Labrador' }],
    });
    for (let i = 1; i <= 10; i++) await finalizedInvoice(c.id, `Einzelstunde ${i}`, 4500 + i * 100);
  }
  page = await stack.newPage();
});

after(async () => {
  if (page) assert.deepEqual(page.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), [], 'no JavaScript errors in the page');
  await stack?.stop();
});

test('login shows the school name and Abmelden', async () => {
  await page.goto(`${stack.baseUrl}/`);
  await page.getByRole('heading', { name: 'Anmeldung' }).waitFor();
  await page.getByLabel('E-Mail-Adresse').fill('inhaberin@pfotenglueck.test');
  await page.getByLabel('Passwort').fill('falsch-falsch-falsch');
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.locator('.form-alert:not([hidden])').waitFor();
  await stack.shot(page, '01-anmeldung');
  await login(page, stack);
  assert.equal(await page.getByTestId('school-name').textContent(), SCHOOL);
  assert.ok(await page.getByRole('button', { name: 'Abmelden' }).isVisible());
  await page.getByRole('heading', { name: 'Rechnungen', level: 1 }).waitFor();
  await page.locator('tbody tr[data-id]').first().waitFor();
  await stack.shot(page, '02-rechnungen');
});

test('flow 1: wrong token is reported, right token connects, then Aktiv', async () => {
  await page.getByRole('link', { name: 'Einstellungen' }).click();
  await page.getByLabel('Name der Hundeschule').waitFor();
  await stack.shot(page, '03-einstellungen-schule');
  await page.getByRole('navigation', { name: 'Einstellungen' }).getByRole('link', { name: 'Erweiterungen' }).click();
  await page.getByRole('heading', { name: 'Sevdesk' }).waitFor();
  await stack.shot(page, '04-erweiterungen');
  await page.getByRole('link', { name: 'Konfigurieren' }).click();
  await page.getByRole('button', { name: 'Konfiguration bearbeiten' }).click();
  const token = page.getByRole('textbox', { name: 'API-Token', exact: true });
  assert.equal(await token.getAttribute('type'), 'password', 'the token field is masked');
  await token.fill(WRONG_TOKEN);
  await page.getByRole('button', { name: 'Verbindung testen' }).click();
  const result = page.getByTestId('test-result');
  await result.filter({ hasText: 'fehlgeschlagen' }).waitFor();
  assert.match(norm(await result.textContent()), /sevdesk kennt diesen API-Token nicht/);

  // Activating without a successful test is refused, and the page says why.
  await page.getByLabel('Aktiv', { exact: true }).click();
  assert.equal(await page.getByLabel('Aktiv', { exact: true }).isChecked(), false);
  assert.match(norm(await page.locator('#sd-active-err').textContent()), /erst nach einem erfolgreichen Test/);
  await stack.shot(page, '05-sevdesk-falscher-token', { fullPage: true });

  await token.fill(GOOD_TOKEN);
  await page.getByRole('button', { name: 'Verbindung testen' }).click();
  await result.filter({ hasText: 'erfolgreich' }).waitFor();
  assert.match(norm(await result.textContent()), /Verbindung hergestellt/);
  await page.getByLabel('Aktiv', { exact: true }).check();
  await stack.shot(page, '06-sevdesk-verbunden', { fullPage: true });
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.getByTestId('connection-state').filter({ hasText: 'aktiv' }).waitFor();
  assert.match(await page.getByTestId('token-masked').textContent(), /•+good$/);
  const conn = await api.call('GET', '/integrations/sevdesk');
  assert.equal(conn.enabled, true);
});

let firstNumber;
test('flow 2: new customer and invoice, finalized, reaches sevdesk', async () => {
  await page.getByRole('link', { name: 'Kunden' }).click();
  await page.getByRole('link', { name: 'Neuer Kunde' }).click();
  await page.getByLabel('Vorname').fill('Greta');
  await page.getByLabel('Nachname').fill('Neumann');
  await page.getByLabel('Straße und Hausnummer').fill('Kastanienallee 12');
  await page.getByLabel('PLZ').fill('10435');
  await page.getByLabel('Ort', { exact: true }).fill('Berlin');
  // An error from the API appears next to its field, and the field gets the focus.
  await page.getByLabel('E-Mail-Adresse').fill('greta.neumann-at-example.org');
  await page.getByRole('button', { name: 'Speichern' }).click();
  const emailError = page.locator('[data-field-wrap="email"] .error');
  await emailError.filter({ hasText: 'gültige E-Mail-Adresse' }).waitFor();
  assert.equal(await page.getByLabel('E-Mail-Adresse').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.field), 'email');
  await page.getByLabel('E-Mail-Adresse').fill('greta.neumann@example.org');
  await page.getByRole('button', { name: 'Hund hinzufügen' }).click();
  await page.getByLabel('Name des Hundes').fill('Luna');
  await page.getByLabel('Rasse').fill('Border Collie');
  await stack.shot(page, '07-kunde-neu', { fullPage: true });
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.getByRole('heading', { name: 'Greta Neumann' }).waitFor();

  await page.getByRole('link', { name: 'Rechnung schreiben' }).click();
  await page.getByRole('heading', { name: 'Neue Rechnung' }).waitFor();
  assert.match(await page.getByRole('combobox', { name: 'Kunde', exact: true }).evaluate((s) => s.selectedOptions[0].textContent), /Greta Neumann/);
  await page.getByLabel('Beschreibung (Position 1)').fill('Einzelstunde Welpentraining');
  await page.getByLabel('Menge (Position 1)').fill('2');
  await page.getByLabel('Einzelpreis (€) (Position 1)').fill('45,50');
  assert.equal(norm(await page.locator('[data-amount="0"]').textContent()), '91,00 €');
  await page.getByRole('button', { name: 'Position hinzufügen' }).click();
  await page.getByLabel('Beschreibung (Position 2)').fill('Gruppenkurs Alltagstraining (10 Termine)');
  await page.getByLabel('Einzelpreis (€) (Position 2)').fill('1.234,56');
  await page.getByLabel('USt (Position 2)').selectOption('19');
  // Live totals in German format (net prices: 91,00 + 1.234,56, plus 19 %).
  assert.equal(norm(await page.locator('[data-total="net"]').textContent()), '1.325,56 €');
  assert.equal(norm(await page.locator('[data-total="gross"]').textContent()), '1.577,42 €');
  await page.getByRole('combobox', { name: 'Preise' }).selectOption('gross');
  assert.equal(norm(await page.locator('[data-total="gross"]').textContent()), '1.325,56 €');
  assert.equal(norm(await page.locator('[data-total="net"]').textContent()), '1.113,92 €');
  await stack.shot(page, '08-rechnung-entwurf');

  await page.getByRole('button', { name: 'Festschreiben …' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  assert.match(norm(await dialog.textContent()), /kann nicht rückgängig gemacht werden/);
  assert.match(norm(await dialog.textContent()), /1\.325,56 €/);
  await stack.shot(page, '09-festschreiben-bestaetigen');
  await dialog.getByRole('button', { name: 'Endgültig festschreiben' }).click();
  const h1 = page.getByRole('heading', { level: 1, name: /^Rechnung / });
  await h1.waitFor();
  firstNumber = (await h1.textContent()).replace(/^Rechnung /, '');
  assert.ok(firstNumber.length > 0);
  assert.match(norm(await page.getByText(/Festgeschrieben am/).locator('..').textContent()), /\d{2}\.\d{2}\.\d{4}/);

  // The PDF opens (same session).
  const href = await page.getByTestId('open-pdf').getAttribute('href');
  const pdf = await page.request.get(`${stack.baseUrl}${href}`);
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-');
  await stack.shot(page, '10-rechnung-festgeschrieben');

  await page.getByRole('link', { name: 'Beleg und Sevdesk-Status' }).click();
  await until('the receipt to be transferred', async () => (await rowStatus(firstNumber)) === 'transferred');
  const cell = page.locator(`tr[data-number="${firstNumber}"] [data-sevdesk]`);
  assert.match(norm(await cell.textContent()), /^übertragen/);
  assert.ok(await cell.getByRole('link', { name: /in Sevdesk öffnen/ }).count() === 1);
  const vouchers = await sandboxVouchers(stack);
  assert.equal(vouchers.filter((v) => v.description === firstNumber).length, 1, 'the voucher is in the sandbox once');
});

test('flow 3: 50 older receipts selected by filter are transferred once, with progress', async () => {
  // A little latency in "sevdesk" so the progress is visible, as with the real service.
  await sandboxJson(stack, 'PUT', '/faults', { latency_ms: 40 });
  await page.getByRole('link', { name: 'Belege' }).click();
  await page.getByRole('button', { name: 'Einnahmen' }).click();
  await page.locator('tbody tr[data-id]').first().waitFor();
  await until('the Einnahmen filter', async () => (await page.locator('.pager-info').textContent()).includes('51 Belege'));
  await page.getByLabel('Alle Belege auf dieser Seite auswählen').check();
  assert.match(await page.getByTestId('selection-info').textContent(), /25 Belege ausgewählt/);
  await page.getByRole('button', { name: 'Alle 51 Belege auswählen, die dem Filter entsprechen' }).click();
  assert.match(await page.getByTestId('selection-info').textContent(), /Alle 51 Belege/);
  await stack.shot(page, '11-belege-auswahl');
  // The menu works with the keyboard: ArrowDown opens it on its first item, Enter runs it.
  await page.getByRole('button', { name: 'Aktionen' }).focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Zu Sevdesk übertragen');
  await page.keyboard.press('Enter');
  await page.getByTestId('transfer-progress').waitFor({ timeout: 10000 });
  await until('a progress value', async () => Number(await page.locator('#transfer-progress').getAttribute('value').catch(() => 100)) > 0, 20000, 100);
  await stack.shot(page, '12-belege-uebertragung-laeuft');
  const summary = page.getByTestId('transfer-summary');
  await summary.waitFor({ timeout: 90000 });
  assert.equal(await summary.locator('[data-count="transferred"] strong').textContent(), '50');
  assert.equal(await summary.locator('[data-count="failed"] strong').textContent(), '0');
  await until('every row to show übertragen', async () => {
    const states = await page.locator('tbody [data-sevdesk]').evaluateAll((els) => els.map((e) => e.dataset.sevdesk));
    return states.length === 25 && states.every((s) => s === 'transferred');
  });
  await stack.shot(page, '13-belege-uebertragen');
  await sandboxJson(stack, 'DELETE', '/faults');
  const left = await api.call('GET', '/receipts?type=income&sevdesk=not_transferred');
  assert.equal(left.total, 0);
  const vouchers = await sandboxVouchers(stack);
  const descriptions = vouchers.map((v) => v.description);
  assert.equal(vouchers.length, 51);
  assert.equal(new Set(descriptions).size, 51, 'nothing twice in the sandbox');
});

test('flow 4: a receipt sevdesk rejects shows why and is retried after the fix', async () => {
  // The sevdesk account is switched to Kleinunternehmer: sevdesk rejects the 19 % tax rule.
  await sandboxJson(stack, 'PUT', `/accounts/${GOOD_TOKEN}/settings`, { tax_mode: 'kleinunternehmer' });
  const c = (await api.call('GET', '/customers?q=Neumann')).items[0];
  const inv = await finalizedInvoice(c.id, 'Hausbesuch Leinenführigkeit', 8900);
  await until('the transfer to fail', async () => (await receiptOf(inv.number))?.sevdesk.status === 'failed');
  await page.goto(`${stack.baseUrl}/#/belege?type=income&q=${encodeURIComponent(inv.number)}`);
  const cell = page.locator(`tr[data-number="${inv.number}"] [data-sevdesk]`);
  await cell.waitFor();
  assert.equal(await cell.getAttribute('data-sevdesk'), 'failed');
  const reason = norm(await cell.locator('.sd-reason').textContent());
  assert.ok(reason.length > 10, `a reason is shown: ${reason}`);
  assert.match(norm(await cell.textContent()), /fehlgeschlagen/);
  await stack.shot(page, '14-beleg-fehlgeschlagen');
  await page.getByRole('link', { name: inv.number }).click();
  await page.getByRole('heading', { name: 'Verlauf' }).waitFor();
  assert.ok(await page.locator('table.history tbody tr').count() > 0);
  assert.match(norm(await page.locator('.sd-detail').textContent()), /fehlgeschlagen/);
  await stack.shot(page, '15-beleg-detail-verlauf', { fullPage: true });

  // The cause is fixed in sevdesk; "Erneut versuchen" sends it.
  await sandboxJson(stack, 'PUT', `/accounts/${GOOD_TOKEN}/settings`, { tax_mode: 'regular' });
  await page.getByRole('button', { name: 'Erneut versuchen' }).click();
  await page.locator('.sd-detail [data-sevdesk="transferred"]').waitFor({ timeout: 30000 });
  const vouchers = await sandboxVouchers(stack);
  assert.equal(vouchers.filter((v) => v.description === inv.number).length, 1);
});

test('flow 5: revoked token shows the banner; a new token resumes the transfers', async () => {
  await sandboxJson(stack, 'POST', `/accounts/${GOOD_TOKEN}/revoke`);
  const c = (await api.call('GET', '/customers?q=Neumann')).items[0];
  const inv = await finalizedInvoice(c.id, 'Einzelstunde Rückruf', 5200);
  await until('the connection to pause', async () => (await api.call('GET', '/integrations/sevdesk')).state === 'paused');
  await page.goto(`${stack.baseUrl}/#/belege?type=income`);
  const banner = page.getByTestId('sevdesk-banner');
  await banner.waitFor();
  assert.match(norm(await banner.textContent()), /Sevdesk-Verbindung unterbrochen – bitte Token prüfen/);
  await until('the waiting state', async () => (await rowStatus(inv.number)) === 'waiting');
  await stack.shot(page, '16-banner-verbindung-unterbrochen');

  // In sevdesk the owner regenerates the token: the old one stays dead, the new one works.
  await sandboxJson(stack, 'POST', `/accounts/${GOOD_TOKEN}/token`, { token: REGENERATED_TOKEN });
  stack.sevdeskToken = REGENERATED_TOKEN;
  await banner.getByRole('link', { name: 'Zur Sevdesk-Konfiguration' }).click();
  await page.getByRole('textbox', { name: 'API-Token', exact: true }).fill(REGENERATED_TOKEN);
  await page.getByRole('button', { name: 'Verbindung testen' }).click();
  await page.getByTestId('test-result').filter({ hasText: 'erfolgreich' }).waitFor();
  await banner.waitFor({ state: 'detached', timeout: 10000 });
  await page.getByRole('link', { name: 'Belege' }).click();
  await page.getByRole('button', { name: 'Einnahmen' }).click();
  await until('the transfer to resume', async () => (await rowStatus(inv.number)) === 'transferred');
  const vouchers = await sandboxVouchers(stack);
  assert.equal(vouchers.filter((v) => v.description === inv.number).length, 1);
});

test('Stornieren: the cancellation is finalized and reaches sevdesk too', async () => {
  const inv = (await api.call('GET', `/invoices?q=${encodeURIComponent(firstNumber)}`)).items.find((i) => i.number === firstNumber);
  await page.goto(`${stack.baseUrl}/#/rechnungen/${inv.id}`);
  await page.getByRole('button', { name: 'Stornieren' }).click();
  const dialog = page.getByRole('dialog');
  assert.match(norm(await dialog.textContent()), /kann nicht rückgängig gemacht werden/);
  await dialog.getByRole('button', { name: 'Stornieren' }).click();
  const h1 = page.getByRole('heading', { level: 1, name: /^Stornorechnung / });
  await h1.waitFor();
  const stornoNumber = (await h1.textContent()).replace(/^Stornorechnung /, '');
  assert.match(norm(await page.locator('main').textContent()), /-1\.325,56 €/);
  await until('the cancellation to be transferred', async () => (await receiptOf(stornoNumber))?.sevdesk.status === 'transferred');
  const vouchers = await sandboxVouchers(stack);
  assert.equal(vouchers.filter((v) => v.description === stornoNumber).length, 1);
});

test('expense upload: the receipt appears under Ausgaben', async () => {
  await page.goto(`${stack.baseUrl}/#/belege`);
  await page.getByRole('button', { name: 'Ausgabe hochladen' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Datei (PDF, Foto oder E-Rechnung)').setInputFiles({
    name: 'futter.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'),
  });
  await dialog.getByLabel('Betrag brutto (€)').fill('49,90');
  await dialog.getByLabel('Lieferant').fill('Futterhaus Freiburg');
  await dialog.getByLabel('Beschreibung').fill('Trainingsleckerli');
  await stack.shot(page, '19-ausgabe-hochladen');
  await dialog.getByRole('button', { name: 'Hochladen' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Ausgaben' }).click();
  const row = page.locator('tbody tr', { hasText: 'Futterhaus Freiburg' });
  await row.waitFor();
  assert.match(norm(await row.textContent()), /49,90 €/);
  assert.match(norm(await row.textContent()), /Ausgabe/);
});

// A small XRechnung (CII) of 1.190,00 € from a supplier, for the receiving side.
const XRECHNUNG = `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument><ram:ID>TN-2025-77</ram:ID><ram:TypeCode>380</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="102">20250210</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction>
<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument><ram:SpecifiedTradeProduct><ram:Name>Leinen &amp; Halsbänder</ram:Name></ram:SpecifiedTradeProduct><ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">10</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery><ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax><ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>1000.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>
<ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty><ram:Name>Tierbedarf Nord GmbH</ram:Name><ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE111222333</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTradeParty><ram:BuyerTradeParty><ram:Name>Hundeschule</ram:Name></ram:BuyerTradeParty></ram:ApplicableHeaderTradeAgreement>
<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode><ram:ApplicableTradeTax><ram:CalculatedAmount>190.00</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>1000.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax><ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format="102">20250224</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms><ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>1000.00</ram:LineTotalAmount><ram:TaxBasisTotalAmount>1000.00</ram:TaxBasisTotalAmount><ram:TaxTotalAmount currencyID="EUR">190.00</ram:TaxTotalAmount><ram:GrandTotalAmount>1190.00</ram:GrandTotalAmount><ram:DuePayableAmount>1190.00</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation></ram:ApplicableHeaderTradeSettlement>
</rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
`;

test('e-invoice upload: the XRechnung is read and shown in German', async () => {
  await page.goto(`${stack.baseUrl}/#/belege`);
  await page.getByRole('button', { name: 'Ausgabe hochladen' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Datei (PDF, Foto oder E-Rechnung)').setInputFiles({
    name: 'xrechnung.xml', mimeType: 'application/xml', buffer: Buffer.from(XRECHNUNG),
  });
  await dialog.getByLabel('Betrag brutto (€)').fill('1.190,00');
  await dialog.getByRole('button', { name: 'Hochladen' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Ausgaben' }).click();
  const row = page.locator('tbody tr', { hasText: 'Tierbedarf Nord GmbH' });
  await row.waitFor();
  assert.match(norm(await row.textContent()), /Leinen & Halsbänder/);
  await row.getByRole('link', { name: 'TN-2025-77' }).click();
  const card = page.getByTestId('e-invoice');
  await card.waitFor();
  const text = norm(await card.textContent());
  assert.match(text, /E-Rechnung \(XRechnung 3\.0\)/);
  assert.match(text, /Lieferant ?Tierbedarf Nord GmbH · USt-IdNr\. DE111222333/);
  assert.match(text, /Rechnungsnummer ?TN-2025-77/);
  assert.match(text, /Rechnungsdatum ?10\.02\.2025/);
  assert.match(text, /Fällig am ?24\.02\.2025/);
  assert.match(text, /Positionen/);
  assert.match(text, /Leinen & Halsbänder/);
  assert.match(text, /Netto ?1\.000,00 €/);
  assert.match(text, /USt 19 % ?190,00 € auf 1\.000,00 €/);
  assert.match(text, /Brutto ?1\.190,00 €/);
  // The receipt was dated today, not on the invoice date: a note says so.
  assert.match(text, /weicht vom Rechnungsdatum der E-Rechnung \(10\.02\.2025\) ab/);
  await stack.shot(page, '20-e-rechnung');
});

// The same kind of supplier invoice in UBL 2.1 (XRechnung 3.0): one line at 7 %, 88,81 € gross.
const XRECHNUNG_UBL = `<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID>
<cbc:ID>FS-2025-311</cbc:ID><cbc:IssueDate>2025-03-04</cbc:IssueDate><cbc:DueDate>2025-03-18</cbc:DueDate><cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
<cac:AccountingSupplierParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>DE444555666</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme><cac:PartyLegalEntity><cbc:RegistrationName>Futterhandel Süd GmbH</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>Hundeschule</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">5.81</cbc:TaxAmount><cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">83.00</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">5.81</cbc:TaxAmount><cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>7</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>
<cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">83.00</cbc:LineExtensionAmount><cbc:TaxExclusiveAmount currencyID="EUR">83.00</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">88.81</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">88.81</cbc:PayableAmount></cac:LegalMonetaryTotal>
<cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">2</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">83.00</cbc:LineExtensionAmount><cac:Item><cbc:Name>Trockenfutter 12 kg</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>7</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item><cac:Price><cbc:PriceAmount currencyID="EUR">41.50</cbc:PriceAmount></cac:Price></cac:InvoiceLine>
</Invoice>
`;

test('e-invoice upload: an XRechnung in UBL is read and labelled as UBL', async () => {
  await page.goto(`${stack.baseUrl}/#/belege`);
  await page.getByRole('button', { name: 'Ausgabe hochladen' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Datei (PDF, Foto oder E-Rechnung)').setInputFiles({
    name: 'xrechnung-ubl.xml', mimeType: 'application/xml', buffer: Buffer.from(XRECHNUNG_UBL),
  });
  await dialog.getByLabel('Betrag brutto (€)').fill('88,81');
  await dialog.getByRole('button', { name: 'Hochladen' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Ausgaben' }).click();
  const row = page.locator('tbody tr', { hasText: 'Futterhandel Süd GmbH' });
  await row.waitFor();
  await row.getByRole('link', { name: 'FS-2025-311' }).click();
  const card = page.getByTestId('e-invoice');
  await card.waitFor();
  assert.equal(norm(await card.getByRole('heading', { level: 2 }).textContent()), 'E-Rechnung: XRechnung 3.0 (UBL)');
  const text = norm(await card.textContent());
  assert.match(text, /Lieferant ?Futterhandel Süd GmbH · USt-IdNr\. DE444555666/);
  assert.match(text, /Rechnungsdatum ?04\.03\.2025/);
  assert.match(text, /Fällig am ?18\.03\.2025/);
  assert.match(text, /Trockenfutter 12 kg/);
  assert.match(text, /USt 7 % ?5,81 € auf 83,00 €/);
  assert.match(text, /Brutto ?88,81 €/);
});

test('slow network: a progress bar and placeholder rows, not a frozen page', async () => {
  const slow = await stack.newPage();
  try {
    await login(slow, stack);
    await slow.route('**/api/v1/receipts?*', async (route) => { await new Promise((r) => setTimeout(r, 1500)); await route.continue(); });
    await slow.goto(`${stack.baseUrl}/#/belege?type=income`);
    await slow.locator('#loading-bar.active').waitFor({ timeout: 1400 });
    assert.ok(await slow.locator('tr.skeleton').count() > 0, 'placeholder rows while loading');
    await slow.locator('tbody tr[data-id]').first().waitFor();
    await slow.locator('#loading-bar:not(.active)').waitFor();
  } finally {
    await slow.context().close();
  }
});

test('375 px: no horizontal scrolling, navigation and focus visible', async () => {
  const phone = await stack.newPage({ width: 375, height: 740 });
  try {
    await login(phone, stack);
    const widths = async () => phone.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    for (const hash of ['#/rechnungen', '#/belege?type=income', '#/rechnungen/neu', '#/kunden', '#/einstellungen/erweiterungen/sevdesk?bearbeiten=1']) {
      await phone.goto(`${stack.baseUrl}/${hash}`);
      await phone.locator('main h1').waitFor();
      await phone.waitForFunction(() => !document.querySelector('main[aria-busy]') && !document.querySelector('tr.skeleton'));
      const [scroll, inner] = await widths();
      assert.ok(scroll <= inner, `${hash}: page is ${scroll}px wide at ${inner}px`);
      if (hash.startsWith('#/belege')) await stack.shot(phone, '17-mobil-belege');
      if (hash === '#/rechnungen/neu') {
        await phone.getByRole('textbox', { name: 'Beschreibung (Position 1)' }).fill('Einzelstunde Welpentraining');
        await phone.getByRole('textbox', { name: 'Einzelpreis (€) (Position 1)' }).fill('45,00');
        await phone.getByRole('heading', { name: 'Positionen' }).scrollIntoViewIfNeeded();
        await phone.evaluate(() => document.querySelector('.lines-table').closest('.card').scrollIntoView());
        const [s2, i2] = await widths();
        assert.ok(s2 <= i2, `invoice lines: page is ${s2}px wide at ${i2}px`);
        await stack.shot(phone, '18-mobil-rechnung');
      }
    }
    assert.ok(await phone.getByRole('link', { name: 'Belege' }).isVisible());
    // Keyboard: the focused control shows a focus ring.
    await phone.goto(`${stack.baseUrl}/#/kunden`);
    await phone.locator('#customer-search').waitFor();
    await phone.keyboard.press('Tab');
    const outline = await phone.evaluate(() => {
      const el = document.activeElement;
      const s = getComputedStyle(el);
      return { tag: el.tagName, style: s.outlineStyle, width: s.outlineWidth };
    });
    assert.notEqual(outline.style, 'none', `focus is visible on ${outline.tag}`);
    assert.deepEqual(phone.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), []);
    // Abmelden ends the session: back to the login, and the API refuses the old cookie.
    await phone.getByRole('button', { name: 'Abmelden' }).click();
    await phone.getByRole('heading', { name: 'Anmeldung' }).waitFor();
    assert.equal((await phone.request.get(`${stack.baseUrl}/api/v1/me`)).status(), 401);
  } finally {
    await phone.context().close();
  }
});

test('finalizing names characters the PDF cannot print, also in the customer data', async () => {
  const c = await api.call('POST', '/customers', { kind: 'person', first_name: 'שרה', last_name: 'Levi' });
  const draft = await api.call('POST', '/invoices', {
    customer_id: c.id, invoice_date: TODAY,
    lines: [{ text: 'Welpenkurs 🐕', quantity: '1', unit: 'Kurs', unit_price_cents: 9900, vat_rate: 19 }],
  });
  await page.goto(`${stack.baseUrl}/#/rechnungen/${draft.id}`);
  await page.getByRole('button', { name: 'Festschreiben …' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Endgültig festschreiben' }).click();
  const alert = page.locator('.form-alert:not([hidden])');
  await alert.waitFor();
  const text = norm(await alert.textContent());
  assert.match(text, /nicht so drucken kann/);
  assert.match(text, /Kunde: Name: .*„ש“ \(U\+05E9\)/);
  // The line's detail stands next to its field.
  assert.match(norm(await page.locator('body').textContent()), /„🐕“ \(U\+1F415\)/);
  assert.equal((await api.call('GET', `/invoices/${draft.id}`)).status, 'draft');
});
