import * as api from '../api.js';
import { h, field, formAlert, showErrors, clearErrors, working, icon, toast, pageTitle } from '../dom.js';

export function settingsNav(active) {
  return h('nav', { class: 'subnav', 'aria-label': 'Einstellungen' }, h('ul', {},
    [['schule', '#/einstellungen/schule', 'Schule'], ['erweiterungen', '#/einstellungen/erweiterungen', 'Erweiterungen']]
      .map(([k, href, t]) => h('li', {}, h('a', { href, 'aria-current': k === active ? 'page' : null }, t)))));
}

export async function renderSchoolSettings(main, ctx) {
  pageTitle('Einstellungen – Schule');
  const s = await api.get('/settings/school');
  if (!ctx.alive()) return;
  const alert = formAlert();
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Speichern');
  const taxMode = h('fieldset', { class: 'field radio-group wide' },
    h('legend', {}, 'Besteuerung'),
    h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'tax_mode', value: 'regular', checked: s.tax_mode === 'regular', 'data-field': 'tax_mode' }),
      h('span', {}, h('strong', {}, 'Regelbesteuerung'), h('span', { class: 'sub' }, 'Rechnungen mit Umsatzsteuer (19 % oder 7 %)'))),
    h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'tax_mode', value: 'kleinunternehmer', checked: s.tax_mode === 'kleinunternehmer' }),
      h('span', {}, h('strong', {}, 'Kleinunternehmer'), h('span', { class: 'sub' }, 'Keine Umsatzsteuer nach § 19 UStG'))));
  const readiness = h('section', { class: 'card', id: 'e-invoice-readiness', 'aria-live': 'polite' });
  showReadiness(readiness, s.e_invoice_missing);
  const form = h('form', { class: 'form', novalidate: true },
    alert,
    readiness,
    h('section', { class: 'card' }, h('h2', {}, 'Hundeschule'),
      h('div', { class: 'grid' },
        field({ label: 'Name der Hundeschule', name: 'name', value: s.name, required: true, wide: true }),
        field({ label: 'Straße und Hausnummer', name: 'address.street', value: s.address.street, wide: true, attrs: { autocomplete: 'street-address' } }),
        field({ label: 'PLZ', name: 'address.zip', value: s.address.zip, attrs: { inputmode: 'numeric', class: 'w-zip', autocomplete: 'postal-code' } }),
        field({ label: 'Ort', name: 'address.city', value: s.address.city, attrs: { autocomplete: 'address-level2' } }),
        field({ label: 'Land', name: 'address.country', value: s.address.country || 'DE', hint: 'Ländercode, z. B. DE', attrs: { maxlength: 2, class: 'w-country' } }),
        field({ label: 'E-Mail-Adresse', name: 'email', type: 'email', value: s.email }),
        field({ label: 'Telefon', name: 'phone', type: 'tel', value: s.phone }),
        field({ label: 'Ansprechpartner', name: 'contact_name', value: s.contact_name || '', hint: 'Name der Ansprechperson auf E-Rechnungen (für XRechnung erforderlich)', attrs: { autocomplete: 'name' } }))),
    h('section', { class: 'card' }, h('h2', {}, 'Steuern'),
      taxMode,
      h('div', { class: 'grid' },
        field({ label: 'Steuernummer', name: 'tax_number', value: s.tax_number, hint: 'z. B. 21/815/08150' }),
        field({ label: 'USt-IdNr.', name: 'vat_id', value: s.vat_id, hint: 'z. B. DE123456789' }))),
    h('section', { class: 'card' }, h('h2', {}, 'Bankverbindung'),
      h('div', { class: 'grid' },
        field({ label: 'IBAN', name: 'iban', value: formatIban(s.iban), wide: true, attrs: { autocomplete: 'off', spellcheck: 'false' } }),
        field({ label: 'BIC', name: 'bic', value: s.bic, attrs: { autocomplete: 'off', spellcheck: 'false' } }),
        field({ label: 'Bank', name: 'bank_name', value: s.bank_name }))),
    h('section', { class: 'card' }, h('h2', {}, 'Rechnungen'),
      h('div', { class: 'grid' },
        field({ label: 'Format der Rechnungsnummer', name: 'invoice_number_format', value: s.invoice_number_format,
          hint: 'Platzhalter: {YYYY} Jahr, {YY} Jahr zweistellig, {NNNN} laufende Nummer (Anzahl N = Stellen). Das Jahr gehört hinein, weil die laufende Nummer jedes Jahr neu beginnt. Beispiel: RE-{YYYY}-{NNNN} ergibt RE-2026-0001' }),
        field({ label: 'Zahlungsziel (Tage)', name: 'payment_term_days', type: 'number', value: s.payment_term_days, attrs: { min: 0, max: 365, inputmode: 'numeric' } }),
        field({ label: 'Preise eingeben als', name: 'price_entry', type: 'select', value: s.price_entry, attrs: { options: [['gross', 'Bruttopreise (inkl. USt)'], ['net', 'Nettopreise (zzgl. USt)']] } }))),
    h('div', { class: 'form-actions sticky' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const v = (n) => form.querySelector(`[data-field="${n}"]`).value.trim();
    const days = Number.parseInt(v('payment_term_days'), 10);
    const body = {
      name: v('name'),
      address: { street: v('address.street'), zip: v('address.zip'), city: v('address.city'), country: v('address.country') || 'DE' },
      email: v('email'), phone: v('phone'), contact_name: v('contact_name'), tax_number: v('tax_number'), vat_id: v('vat_id'),
      iban: v('iban'), bic: v('bic'), bank_name: v('bank_name'),
      tax_mode: form.querySelector('input[name="tax_mode"]:checked').value,
      invoice_number_format: v('invoice_number_format'),
      price_entry: v('price_entry'),
    };
    if (!Number.isNaN(days)) body.payment_term_days = days;
    await working(submit, 'Speichern …', async () => {
      try {
        const saved = await api.patch('/settings/school', body);
        ctx.setSchoolName(saved.name);
        if (ctx.session.school) ctx.session.school.tax_mode = saved.tax_mode;
        form.querySelector('[data-field="iban"]').value = formatIban(saved.iban);
        showReadiness(readiness, saved.e_invoice_missing);
        toast('Einstellungen gespeichert.');
      } catch (err) {
        showErrors(form, err);
      }
    });
  });
  main.append(h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Einstellungen')), settingsNav('schule'), form);
  main.querySelector('h1').focus();
}

// What the settings lack for ZUGFeRD and XRechnung, as the server computes it.
function showReadiness(card, missing) {
  const lists = [['ZUGFeRD', missing?.zugferd || []], ['XRechnung', missing?.xrechnung || []]];
  const open = lists.filter(([, items]) => items.length > 0);
  if (open.length === 0) {
    card.replaceChildren(h('h2', {}, 'E-Rechnung'), h('p', {}, 'Alle Angaben für ZUGFeRD- und XRechnung-Rechnungen sind vorhanden.'));
    return;
  }
  card.replaceChildren(h('h2', {}, 'E-Rechnung: Angaben fehlen'),
    h('p', {}, 'Für Kunden mit E-Rechnung kann erst festgeschrieben werden, wenn diese Angaben ergänzt sind:'),
    open.map(([title, items]) => h('div', {}, h('h3', {}, title),
      h('ul', {}, items.map((i) => h('li', { dataset: { missingField: i.field } }, i.message))))));
}

function formatIban(iban) {
  return (iban || '').replace(/\s/g, '').replace(/(.{4})/g, '$1 ').trim();
}

export async function renderExtensions(main, ctx) {
  pageTitle('Einstellungen – Erweiterungen');
  main.append(h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Einstellungen')), settingsNav('erweiterungen'));
  const grid = h('div', { class: 'tiles' }, h('div', { class: 'tile skeleton-tile', 'aria-hidden': 'true' }));
  main.append(h('h2', {}, 'Erweiterungen'), grid);
  let conn = null;
  let error = null;
  try { conn = await api.get('/integrations/sevdesk'); } catch (e) { error = e; }
  if (!ctx.alive()) return;
  const state = error ? { cls: 'off', text: error.status === 404 ? 'auf diesem Server nicht verfügbar' : error.message }
    : conn.state === 'paused' ? { cls: 'warn', text: 'unterbrochen' }
      : conn.enabled ? { cls: 'ok', text: 'aktiv' }
        : conn.has_token ? { cls: 'off', text: 'eingerichtet, nicht aktiv' } : { cls: 'off', text: 'nicht eingerichtet' };
  grid.replaceChildren(h('article', { class: 'tile', 'aria-labelledby': 'tile-sevdesk' },
    h('div', { class: 'tile-head' }, h('span', { class: 'tile-logo', 'aria-hidden': 'true' }, 'sd'),
      h('h3', { id: 'tile-sevdesk' }, 'Sevdesk')),
    h('p', {}, 'Überträgt festgeschriebene Rechnungen als Einnahmebelege mit PDF automatisch in Ihre sevdesk-Buchhaltung.'),
    h('p', {}, h('span', { class: `pill pill-${state.cls}` }, state.text)),
    error && error.status === 404 ? null : h('a', { class: 'btn btn-primary', href: '#/einstellungen/erweiterungen/sevdesk' }, 'Konfigurieren')));
  main.querySelector('h1').focus();
}
