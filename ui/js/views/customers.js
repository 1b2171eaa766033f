import * as api from '../api.js';
import {
  h, clear, field, formAlert, showErrors, clearErrors, working, icon, pager, skeletonRows,
  debounce, toast, pageTitle, confirmDialog, noHitsRow,
} from '../dom.js';

const PAGE = 25;

export async function renderCustomers(main, ctx) {
  pageTitle('Kunden');
  const state = { q: ctx.query.get('q') || '', page: Number(ctx.query.get('page')) || 1 };
  const search = h('input', { type: 'search', id: 'customer-search', value: state.q, placeholder: 'Name, Ort, E-Mail, Hund …', autocomplete: 'off' });
  const tbody = h('tbody', {}, skeletonRows(5, 8));
  const pagerSlot = h('div', { class: 'pager-slot' });
  const alertSlot = h('div');
  main.append(
    h('div', { class: 'page-head' },
      h('h1', { tabindex: '-1' }, 'Kunden'),
      h('a', { class: 'btn btn-primary', href: '#/kunden/neu' }, icon('plus'), 'Neuer Kunde')),
    h('div', { class: 'toolbar' },
      h('div', { class: 'field search-field' },
        h('label', { for: 'customer-search' }, 'Suche'),
        h('div', { class: 'input-icon' }, icon('search'), search))),
    alertSlot,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'data-table responsive' },
        h('caption', { class: 'sr-only' }, 'Kundenliste'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', class: 'col-num' }, 'Kd.-Nr.'),
          h('th', { scope: 'col' }, 'Name'),
          h('th', { scope: 'col' }, 'Ort'),
          h('th', { scope: 'col' }, 'E-Mail'),
          h('th', { scope: 'col' }, 'Hunde'))),
        tbody)),
    pagerSlot);

  let seq = 0;
  async function load() {
    const my = ++seq;
    ctx.replaceQuery({ q: state.q, page: state.page > 1 ? state.page : '' });
    tbody.classList.add('loading');
    try {
      const data = await api.get(`/customers${api.query({ q: state.q, limit: PAGE, offset: (state.page - 1) * PAGE })}`);
      if (my !== seq || !ctx.alive()) return;
      clear(alertSlot);
      clear(tbody);
      if (data.items.length === 0) {
        tbody.append(state.q
          ? noHitsRow(5, state.q, () => { search.value = ''; state.q = ''; state.page = 1; load(); search.focus(); })
          : h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'Noch keine Kunden. Legen Sie den ersten Kunden an.')));
      }
      for (const c of data.items) {
        tbody.append(h('tr', { dataset: { id: c.id } },
          h('td', { 'data-label': 'Kd.-Nr.', class: 'col-num' }, c.customer_number),
          h('td', { 'data-label': 'Name' }, h('a', { href: `#/kunden/${c.id}` }, c.display_name || '(ohne Namen)')),
          h('td', { 'data-label': 'Ort' }, [c.address?.zip, c.address?.city].filter(Boolean).join(' ') || '–'),
          h('td', { 'data-label': 'E-Mail' }, c.email || '–'),
          h('td', { 'data-label': 'Hunde' }, c.dogs.map((d) => d.name).filter(Boolean).join(', ') || '–')));
      }
      clear(pagerSlot).append(pager({ page: state.page, limit: PAGE, total: data.total, label: 'Kunden', onPage: (p) => { state.page = p; load(); } }));
    } catch (e) {
      if (my !== seq) return;
      clear(tbody);
      clear(alertSlot).append(h('div', { class: 'form-alert', role: 'alert' }, e.message));
    } finally {
      tbody.classList.remove('loading');
    }
  }
  search.addEventListener('input', debounce(() => { state.q = search.value.trim(); state.page = 1; load(); }, 200));
  await load();
}

const E_INVOICE_OPTIONS = [['none', 'Keine (normales PDF)'], ['zugferd', 'ZUGFeRD (PDF mit eingebetteten Daten)'], ['xrechnung', 'XRechnung (XML, für Behörden)']];

// The "E-Rechnung" card: kind, authority flag, Leitweg-ID / buyer reference and VAT id, with the
// hints the issue asks for (who must receive e-invoices, who is exempt).
function eInvoiceCard(c) {
  const authorityId = 'f-public-authority';
  const authority = h('div', { class: 'field checkbox-field wide' },
    h('label', { class: 'checkbox', for: authorityId },
      h('input', { type: 'checkbox', id: authorityId, name: 'public_authority', 'data-field': 'public_authority', checked: !!c.public_authority, 'aria-describedby': `${authorityId}-hint` }),
      h('span', {}, 'Öffentliche Auftraggeberin (Behörde)')),
    h('p', { class: 'hint', id: `${authorityId}-hint` }, 'Behörden erhalten Rechnungen nur als XRechnung mit ihrer Leitweg-ID.'));
  const suggestion = h('p', { class: 'hint', id: 'e-invoice-suggestion', 'aria-live': 'polite' });
  return {
    suggestion,
    card: h('section', { class: 'card', id: 'e-invoice-card' }, h('h2', {}, 'E-Rechnung'),
      h('p', { class: 'muted' }, 'Rechnungen über 250 € an Unternehmen müssen ab 2027 (bei mehr als 800.000 € Vorjahresumsatz) bzw. ab 2028 als E-Rechnung gestellt werden. Privatkunden und Kleinunternehmer sind davon ausgenommen.'),
      h('div', { class: 'grid' },
        authority,
        field({ label: 'E-Rechnung', name: 'e_invoice', type: 'select', value: c.e_invoice || 'none', attrs: { options: E_INVOICE_OPTIONS } }),
        field({ label: 'Leitweg-ID / Käuferreferenz', name: 'buyer_reference', value: c.buyer_reference || '', hint: 'Für Behörden die Leitweg-ID, z. B. 04011000-1234512345-06.', attrs: { autocomplete: 'off' } }),
        field({ label: 'USt-IdNr. des Kunden', name: 'vat_id', value: c.vat_id || '', hint: 'z. B. DE123456789', attrs: { autocomplete: 'off', maxlength: 20 } })),
      suggestion),
  };
}

function dogRow(dog, index, onRemove) {
  return h('div', { class: 'dog-row', dataset: { index } },
    field({ label: 'Name des Hundes', name: `dogs[${index}].name`, value: dog.name, attrs: { autocomplete: 'off' } }),
    field({ label: 'Rasse', name: `dogs[${index}].breed`, value: dog.breed, attrs: { autocomplete: 'off' } }),
    h('button', { type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': `Hund ${dog.name || index + 1} entfernen`, onclick: onRemove }, icon('trash')));
}

export async function renderCustomerForm(main, ctx) {
  const isNew = ctx.params[0] === 'neu';
  let c = {
    kind: 'person', salutation: '', first_name: '', last_name: '', company_name: '', contact_person: '',
    address: { street: '', zip: '', city: '', country: 'DE' }, email: '', phone: '', dogs: [], notes: '',
    e_invoice: 'none', public_authority: false, buyer_reference: '', vat_id: '',
  };
  if (!isNew) c = await api.get(`/customers/${ctx.params[0]}`);
  if (!ctx.alive()) return;
  pageTitle(isNew ? 'Neuer Kunde' : c.display_name);

  const alert = formAlert();
  const kindName = 'kind';
  const kindRadios = h('fieldset', { class: 'field radio-group wide' },
    h('legend', {}, 'Art'),
    [['person', 'Privatperson'], ['company', 'Firma']].map(([v, t]) => h('label', { class: 'radio' },
      h('input', { type: 'radio', name: kindName, value: v, checked: c.kind === v, 'data-field': v === 'person' ? 'kind' : null }), t)));
  const personFields = h('div', { class: 'grid' },
    field({ label: 'Anrede', name: 'salutation', type: 'select', value: c.salutation, attrs: { options: [['', '–'], ['Frau', 'Frau'], ['Herr', 'Herr'], ['Divers', 'Divers']] } }),
    field({ label: 'Vorname', name: 'first_name', value: c.first_name, attrs: { autocomplete: 'off' } }),
    field({ label: 'Nachname', name: 'last_name', value: c.last_name, attrs: { autocomplete: 'off' } }));
  const companyFields = h('div', { class: 'grid' },
    field({ label: 'Firmenname', name: 'company_name', value: c.company_name, attrs: { autocomplete: 'off' } }),
    field({ label: 'Ansprechpartner', name: 'contact_person', value: c.contact_person, attrs: { autocomplete: 'off' } }));
  const dogsList = h('div', { class: 'dogs' });
  let dogs = c.dogs.map((d) => ({ ...d }));
  function readDogs() {
    dogs = [...dogsList.querySelectorAll('.dog-row')].map((row) => ({
      name: row.querySelector('[data-field$=".name"]').value.trim(),
      breed: row.querySelector('[data-field$=".breed"]').value.trim(),
    }));
  }
  function renderDogs(focusLast = false) {
    clear(dogsList);
    dogs.forEach((d, i) => dogsList.append(dogRow(d, i, () => { readDogs(); dogs.splice(i, 1); renderDogs(); addDog.focus(); })));
    if (dogs.length === 0) dogsList.append(h('p', { class: 'muted' }, 'Noch kein Hund eingetragen.'));
    if (focusLast) dogsList.querySelector('.dog-row:last-child input')?.focus();
  }
  const addDog = h('button', { type: 'button', class: 'btn btn-small', onclick: () => { readDogs(); dogs.push({ name: '', breed: '' }); renderDogs(true); } }, icon('plus'), 'Hund hinzufügen');
  renderDogs();

  const eInvoice = eInvoiceCard(c);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Speichern');
  const form = h('form', { class: 'form', novalidate: true },
    alert,
    h('section', { class: 'card' }, h('h2', {}, 'Kunde'), kindRadios, personFields, companyFields),
    h('section', { class: 'card' }, h('h2', {}, 'Anschrift'),
      h('div', { class: 'grid' },
        field({ label: 'Straße und Hausnummer', name: 'address.street', value: c.address.street, wide: true, attrs: { autocomplete: 'off' } }),
        field({ label: 'PLZ', name: 'address.zip', value: c.address.zip, attrs: { inputmode: 'numeric', autocomplete: 'off', class: 'w-zip' } }),
        field({ label: 'Ort', name: 'address.city', value: c.address.city, attrs: { autocomplete: 'off' } }),
        field({ label: 'Land', name: 'address.country', value: c.address.country || 'DE', hint: 'Ländercode, z. B. DE, AT, CH', attrs: { maxlength: 2, class: 'w-country', autocomplete: 'off' } }))),
    h('section', { class: 'card' }, h('h2', {}, 'Kontakt'),
      h('div', { class: 'grid' },
        field({ label: 'E-Mail-Adresse', name: 'email', type: 'email', value: c.email, attrs: { autocomplete: 'off' } }),
        field({ label: 'Telefon', name: 'phone', type: 'tel', value: c.phone, attrs: { autocomplete: 'off' } }))),
    eInvoice.card,
    h('section', { class: 'card' }, h('h2', {}, 'Hunde'), dogsList, addDog),
    h('section', { class: 'card' }, h('h2', {}, 'Notizen'),
      field({ label: 'Notizen', name: 'notes', type: 'textarea', value: c.notes, wide: true })),
    h('div', { class: 'form-actions sticky' },
      submit,
      h('a', { class: 'btn', href: '#/kunden' }, 'Abbrechen'),
      !isNew ? h('button', { type: 'button', class: 'btn btn-ghost btn-danger-text', onclick: remove }, icon('trash'), 'Kunde löschen') : null));

  const eInvoiceSelect = form.querySelector('[data-field="e_invoice"]');
  const authorityBox = form.querySelector('[data-field="public_authority"]');
  // Suggests, never sets: ZUGFeRD for companies, XRechnung for authorities.
  function syncEInvoice() {
    const kind = form.querySelector(`input[name="${kindName}"]:checked`).value;
    if (authorityBox.checked && eInvoiceSelect.value !== 'xrechnung') {
      eInvoice.suggestion.textContent = 'Behörden brauchen eine XRechnung und eine Leitweg-ID.';
    } else if (!authorityBox.checked && kind === 'company' && eInvoiceSelect.value === 'none') {
      eInvoice.suggestion.textContent = 'Empfehlung für Firmen: ZUGFeRD – ein lesbares PDF mit den Rechnungsdaten für die Buchhaltung.';
    } else {
      eInvoice.suggestion.textContent = '';
    }
  }
  function syncKind() {
    const kind = form.querySelector(`input[name="${kindName}"]:checked`).value;
    personFields.hidden = kind !== 'person';
    companyFields.hidden = kind !== 'company';
    syncEInvoice();
  }
  form.querySelectorAll(`input[name="${kindName}"]`).forEach((r) => r.addEventListener('change', syncKind));
  eInvoiceSelect.addEventListener('change', syncEInvoice);
  authorityBox.addEventListener('change', () => {
    if (authorityBox.checked) eInvoiceSelect.value = 'xrechnung';
    syncEInvoice();
  });
  syncKind();

  async function remove() {
    const ok = await confirmDialog({ title: 'Kunde löschen?', body: `„${c.display_name}“ wird gelöscht.`, confirm: 'Löschen', danger: true });
    if (!ok) return;
    try {
      await api.del(`/customers/${c.id}`);
      toast('Kunde gelöscht.');
      ctx.navigate('#/kunden');
    } catch (e) { showErrors(form, e); }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    readDogs();
    const v = (n) => form.querySelector(`[data-field="${n}"]`).value.trim();
    const body = {
      kind: form.querySelector(`input[name="${kindName}"]:checked`).value,
      salutation: v('salutation'), first_name: v('first_name'), last_name: v('last_name'),
      company_name: v('company_name'), contact_person: v('contact_person'),
      address: { street: v('address.street'), zip: v('address.zip'), city: v('address.city'), country: v('address.country') || 'DE' },
      email: v('email'), phone: v('phone'), notes: v('notes'),
      e_invoice: eInvoiceSelect.value, public_authority: authorityBox.checked,
      buyer_reference: v('buyer_reference'), vat_id: v('vat_id'),
      dogs: dogs.filter((d) => d.name || d.breed),
    };
    await working(submit, 'Speichern …', async () => {
      try {
        const saved = isNew ? await api.post('/customers', body) : await api.patch(`/customers/${c.id}`, body);
        toast(isNew ? `Kunde ${saved.display_name} angelegt.` : 'Gespeichert.');
        if (isNew) ctx.navigate(`#/kunden/${saved.id}`);
        else { c = saved; main.querySelector('h1').textContent = saved.display_name; }
      } catch (err) {
        showErrors(form, err);
      }
    });
  });

  main.append(
    h('nav', { class: 'breadcrumb', 'aria-label': 'Brotkrumen' }, h('a', { href: '#/kunden' }, 'Kunden'), ' › ', isNew ? 'Neu' : c.customer_number),
    h('div', { class: 'page-head' },
      h('h1', { tabindex: '-1' }, isNew ? 'Neuer Kunde' : c.display_name),
      !isNew ? h('a', { class: 'btn', href: `#/rechnungen/neu?kunde=${c.id}` }, icon('plus'), 'Rechnung schreiben') : null),
    form);
  (isNew ? form.querySelector('[data-field="first_name"]') : main.querySelector('h1')).focus();
}
