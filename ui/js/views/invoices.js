import * as api from '../api.js';
import * as fmt from '../format.js';
import {
  h, append, clear, field, formAlert, showErrors, clearErrors, setFieldError, working, icon, pager,
  skeletonRows, debounce, toast, pageTitle, confirmDialog, nextId, noHitsRow,
} from '../dom.js';

const PAGE = 25;

export const STATUS_LABEL = { draft: 'Entwurf', finalized: 'festgeschrieben', cancelled: 'storniert' };

function statusBadge(inv) {
  const label = inv.kind === 'cancellation' && inv.status !== 'draft' ? 'Stornorechnung' : STATUS_LABEL[inv.status] || inv.status;
  return h('span', { class: `badge badge-${inv.kind === 'cancellation' ? 'cancellation' : inv.status}` }, label);
}

// The paid status (issue 16): the server's German label, coloured by state.
export function paymentBadge(payment) {
  if (!payment || payment.state === 'none') return '–';
  return h('span', { class: `badge badge-pay-${payment.state}`, 'data-testid': 'payment-status' }, payment.label);
}

// The badge, and for a partly paid invoice what is paid and open.
function paymentFact(payment) {
  return [paymentBadge(payment),
    payment.paid_cents > 0 && payment.open_cents > 0 ? h('div', { class: 'muted' }, `Bezahlt ${fmt.euro(payment.paid_cents)}, offen ${fmt.euro(payment.open_cents)}`) : null];
}

const PAYMENT_FILTERS = [['', 'Alle'], ['open', 'Offen'], ['overdue', 'Überfällig'], ['paid', 'Bezahlt']];

// The start page's reminder: how many invoices are overdue, one click to see them.
function overdueSummary(totals, onShow) {
  if (!totals || totals.overdue_count === 0) return null;
  const n = totals.overdue_count;
  const show = h('button', { type: 'button', class: 'btn btn-small' }, 'Überfällige anzeigen');
  show.addEventListener('click', onShow);
  return h('div', { class: 'notice notice-warn', role: 'status', 'data-testid': 'overdue-count' },
    icon('alert'),
    h('span', {}, h('strong', {}, n === 1 ? '1 Rechnung überfällig' : `${n} Rechnungen überfällig`),
      ` – ${fmt.euro(totals.overdue_cents)} offen`),
    show);
}

export async function renderInvoices(main, ctx) {
  pageTitle('Rechnungen');
  const state = {
    q: ctx.query.get('q') || '',
    status: ctx.query.get('status') || '',
    payment: ctx.query.get('zahlung') || '',
    page: Number(ctx.query.get('page')) || 1,
  };
  const search = h('input', { type: 'search', id: 'invoice-search', value: state.q, placeholder: 'Nummer, Kunde, Text …', autocomplete: 'off' });
  const statusSel = h('select', { id: 'invoice-status' },
    [['', 'Alle'], ['draft', 'Entwürfe'], ['finalized', 'Festgeschrieben'], ['cancelled', 'Storniert']]
      .map(([v, t]) => h('option', { value: v, selected: v === state.status }, t)));
  const paymentSel = h('select', { id: 'invoice-payment' },
    PAYMENT_FILTERS.map(([v, t]) => h('option', { value: v, selected: v === state.payment }, t)));
  const tbody = h('tbody', {}, skeletonRows(6, 8));
  const pagerSlot = h('div', { class: 'pager-slot' });
  const alertSlot = h('div');
  const summarySlot = h('div');
  main.append(
    h('div', { class: 'page-head' },
      h('h1', { tabindex: '-1' }, 'Rechnungen'),
      h('a', { class: 'btn btn-primary', href: '#/rechnungen/neu' }, icon('plus'), 'Neue Rechnung')),
    h('div', { class: 'toolbar' },
      h('div', { class: 'field search-field' }, h('label', { for: 'invoice-search' }, 'Suche'),
        h('div', { class: 'input-icon' }, icon('search'), search)),
      h('div', { class: 'field' }, h('label', { for: 'invoice-status' }, 'Status'), statusSel),
      h('div', { class: 'field' }, h('label', { for: 'invoice-payment' }, 'Zahlung'), paymentSel)),
    summarySlot,
    alertSlot,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'data-table responsive' },
        h('caption', { class: 'sr-only' }, 'Rechnungsliste'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Nummer'),
          h('th', { scope: 'col' }, 'Datum'),
          h('th', { scope: 'col' }, 'Kunde'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Zahlung'),
          h('th', { scope: 'col', class: 'num' }, 'Betrag'))),
        tbody)),
    pagerSlot);

  let seq = 0;
  async function load() {
    const my = ++seq;
    ctx.replaceQuery({ q: state.q, status: state.status, zahlung: state.payment, page: state.page > 1 ? state.page : '' });
    tbody.classList.add('loading');
    try {
      const data = await api.get(`/invoices${api.query({ q: state.q, status: state.status, payment: state.payment, limit: PAGE, offset: (state.page - 1) * PAGE })}`);
      if (my !== seq || !ctx.alive()) return;
      clear(alertSlot);
      clear(tbody);
      clear(summarySlot);
      if (state.payment !== 'overdue') {
        append(summarySlot, [overdueSummary(data.payment_totals, () => {
          state.payment = 'overdue'; paymentSel.value = 'overdue'; state.page = 1; load();
        })]);
      }
      if (data.items.length === 0) {
        const filtered = state.status || state.payment;
        tbody.append(state.q
          ? noHitsRow(6, state.q, () => { search.value = ''; state.q = ''; state.page = 1; load(); search.focus(); })
          : h('tr', {}, h('td', { colspan: 6, class: 'empty' }, filtered ? 'Keine passenden Rechnungen.' : 'Noch keine Rechnungen.')));
      }
      for (const inv of data.items) {
        tbody.append(h('tr', { dataset: { id: inv.id } },
          h('td', { 'data-label': 'Nummer' }, h('a', { href: `#/rechnungen/${inv.id}` }, inv.number || 'Entwurf')),
          h('td', { 'data-label': 'Datum' }, fmt.date(inv.invoice_date)),
          h('td', { 'data-label': 'Kunde' }, inv.customer_name || '–'),
          h('td', { 'data-label': 'Status' }, statusBadge(inv)),
          h('td', { 'data-label': 'Zahlung' }, paymentBadge(inv.payment)),
          h('td', { 'data-label': 'Betrag', class: 'num' }, fmt.euro(inv.total_gross_cents))));
      }
      clear(pagerSlot).append(pager({ page: state.page, limit: PAGE, total: data.total, label: 'Rechnungen', onPage: (p) => { state.page = p; load(); } }));
    } catch (e) {
      if (my !== seq) return;
      clear(tbody);
      clear(alertSlot).append(h('div', { class: 'form-alert', role: 'alert' }, e.message));
    } finally {
      tbody.classList.remove('loading');
    }
  }
  search.addEventListener('input', debounce(() => { state.q = search.value.trim(); state.page = 1; load(); }, 200));
  statusSel.addEventListener('change', () => { state.status = statusSel.value; state.page = 1; load(); });
  paymentSel.addEventListener('change', () => { state.payment = paymentSel.value; state.page = 1; load(); });
  await load();
}

export async function renderInvoiceEditor(main, ctx) {
  const isNew = ctx.params[0] === 'neu';
  const [school, inv] = await Promise.all([
    api.get('/settings/school'),
    isNew ? null : api.get(`/invoices/${ctx.params[0]}`),
  ]);
  if (!ctx.alive()) return;
  if (inv && inv.status !== 'draft') return renderInvoiceView(main, ctx, inv);
  return renderDraftEditor(main, ctx, school, inv);
}

function addressLines(a) {
  return [a?.street, [a?.zip, a?.city].filter(Boolean).join(' '), a?.country && a.country !== 'DE' ? a.country : null].filter(Boolean);
}

async function renderInvoiceView(main, ctx, inv) {
  const title = inv.kind === 'cancellation' ? `Stornorechnung ${inv.number}` : `Rechnung ${inv.number}`;
  pageTitle(title);
  const alertSlot = h('div');
  const actions = h('div', { class: 'form-actions' },
    h('a', { class: 'btn btn-primary', href: inv.pdf_url, target: '_blank', rel: 'noopener', 'data-testid': 'open-pdf' }, icon('file'), 'PDF öffnen'),
    inv.xrechnung_url ? h('a', { class: 'btn', href: inv.xrechnung_url, download: '', 'data-testid': 'download-xrechnung' }, icon('file'), 'XRechnung (XML) herunterladen') : null,
    h('a', { class: 'btn', href: `#/belege?type=income&q=${encodeURIComponent(inv.number)}` }, 'Beleg und Sevdesk-Status'));
  if (inv.status === 'finalized' && inv.kind !== 'cancellation') {
    const cancelBtn = h('button', { type: 'button', class: 'btn btn-danger' }, 'Stornieren');
    cancelBtn.addEventListener('click', async () => {
      const ok = await confirmDialog({
        title: `Rechnung ${inv.number} stornieren?`,
        body: ['Es wird eine Stornorechnung mit negativen Beträgen erstellt und festgeschrieben. Die Rechnung gilt danach als storniert.',
          'Das kann nicht rückgängig gemacht werden.'],
        confirm: 'Stornieren', danger: true,
      });
      if (!ok) return;
      await working(cancelBtn, 'Stornieren …', async () => {
        try {
          const storno = await api.post(`/invoices/${inv.id}/cancel`);
          toast(`Stornorechnung ${storno.number} erstellt.`);
          ctx.navigate(`#/rechnungen/${storno.id}`);
        } catch (e) {
          clear(alertSlot).append(h('div', { class: 'form-alert', role: 'alert' }, e.message));
        }
      });
    });
    actions.append(cancelBtn);
  }
  const c = inv.customer || {};
  append(main, [
    h('nav', { class: 'breadcrumb', 'aria-label': 'Brotkrumen' }, h('a', { href: '#/rechnungen' }, 'Rechnungen'), ' › ', inv.number),
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, title), statusBadge(inv)),
    alertSlot,
    inv.cancels_invoice_id ? h('p', { class: 'note' }, 'Storniert die Rechnung ', h('a', { href: `#/rechnungen/${inv.cancels_invoice_id}` }, inv.cancels_invoice_number), '.') : null,
    inv.cancelled_by_invoice_id ? h('p', { class: 'note' }, 'Storniert durch ', h('a', { href: `#/rechnungen/${inv.cancelled_by_invoice_id}` }, 'die Stornorechnung'), '.') : null,
    h('section', { class: 'card' },
      h('dl', { class: 'facts' },
        h('div', {}, h('dt', {}, 'Kunde'), h('dd', {}, h('strong', {}, c.name), c.contact_person ? h('div', {}, c.contact_person) : null, addressLines(c.address).map((l) => h('div', {}, l)))),
        h('div', {}, h('dt', {}, 'Rechnungsdatum'), h('dd', {}, fmt.date(inv.invoice_date))),
        h('div', {}, h('dt', {}, 'Leistungsdatum'), h('dd', {}, inv.service_date ? `${fmt.date(inv.service_date)}${inv.service_period_end ? ` – ${fmt.date(inv.service_period_end)}` : ''}` : 'wie Rechnungsdatum')),
        h('div', {}, h('dt', {}, 'Festgeschrieben am'), h('dd', {}, fmt.dateTime(inv.finalized_at))),
        inv.payment?.due_date ? h('div', {}, h('dt', {}, 'Fällig am'), h('dd', {}, fmt.date(inv.payment.due_date))) : null,
        inv.payment && inv.payment.state !== 'none' ? h('div', {}, h('dt', {}, 'Zahlung'), h('dd', { 'data-testid': 'invoice-payment' }, paymentFact(inv.payment))) : null)),
    h('section', { class: 'card' },
      h('h2', {}, 'Positionen'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'data-table responsive lines-view' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Beschreibung'), h('th', { scope: 'col', class: 'num' }, 'Menge'),
          h('th', { scope: 'col', class: 'num' }, 'Einzelpreis'), h('th', { scope: 'col', class: 'num' }, 'USt'), h('th', { scope: 'col', class: 'num' }, 'Betrag'))),
        h('tbody', {}, inv.lines.map((l) => h('tr', {},
          h('td', { 'data-label': 'Beschreibung' }, l.text),
          h('td', { 'data-label': 'Menge', class: 'num' }, `${fmt.quantityDe(l.quantity)} ${l.unit || ''}`.trim()),
          h('td', { 'data-label': 'Einzelpreis', class: 'num' }, fmt.euro(l.unit_price_cents)),
          h('td', { 'data-label': 'USt', class: 'num' }, `${l.vat_rate} %`),
          h('td', { 'data-label': 'Betrag', class: 'num' }, fmt.euro(l.amount_cents))))))),
      totalsBox({
        net: inv.total_net_cents, tax: inv.total_tax_cents, gross: inv.total_gross_cents,
        groups: inv.vat_groups.map((g) => ({ rate: g.rate, tax: g.tax_cents })),
      })),
    inv.notes ? h('section', { class: 'card' }, h('h2', {}, 'Hinweise'), h('p', { class: 'pre' }, inv.notes)) : null,
    inv.status !== 'draft' && inv.kind !== 'cancellation' ? paymentsSection(inv) : null,
    actions]);
  main.querySelector('h1').focus();
}

// ---- "Zahlung erfassen" (issue 16): the invoice's payments and their booking in sevdesk.

const BOOKING_LABEL = {
  local: 'Nur hier erfasst',
  pending: 'Wird in sevdesk gebucht',
  sending: 'Wird nachgesehen',
  booked: 'In sevdesk gebucht',
  check: 'Bitte in sevdesk prüfen',
  failed: 'Nicht gebucht',
};

function paymentsSection(inv) {
  const section = h('section', { class: 'card', 'data-testid': 'payments' }, h('h2', {}, 'Zahlungen'));
  const body = h('div', {}, h('p', { class: 'note' }, 'Zahlungen werden geladen …'));
  section.append(body);
  const load = async () => {
    try {
      renderPayments(body, inv, await api.get(`/invoices/${inv.id}/payments`), load);
    } catch (e) {
      clear(body).append(h('div', { class: 'form-alert', role: 'alert' }, e.message));
    }
  };
  load();
  return section;
}

function renderPayments(body, inv, list, reload) {
  clear(body);
  append(body, [
    h('dl', { class: 'facts' },
      h('div', {}, h('dt', {}, 'Bezahlt'), h('dd', { 'data-testid': 'paid' }, fmt.euro(list.paid_cents))),
      h('div', {}, h('dt', {}, 'Offen'), h('dd', { 'data-testid': 'open' }, fmt.euro(list.open_cents)))),
    list.payments.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'data-table responsive' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Datum'), h('th', { scope: 'col' }, 'Zahlungsart'),
        h('th', { scope: 'col', class: 'num' }, 'Betrag'), h('th', { scope: 'col' }, 'sevdesk'))),
      h('tbody', {}, list.payments.map((p) => h('tr', { 'data-booking': p.booking },
        h('td', { 'data-label': 'Datum' }, fmt.date(p.date)),
        h('td', { 'data-label': 'Zahlungsart' }, p.method_label),
        h('td', { 'data-label': 'Betrag', class: 'num' }, fmt.euro(p.amount_cents)),
        h('td', { 'data-label': 'sevdesk' }, h('strong', {}, BOOKING_LABEL[p.booking] || p.booking),
          p.message && p.booking !== 'booked' ? h('div', { class: 'note' }, p.message) : null)))))) : h('p', { class: 'note' }, 'Noch keine Zahlung erfasst.'),
    list.payment_account_name ? null
      : h('p', { class: 'note' }, 'Ohne Zahlungskonto werden Zahlungen nur hier erfasst, nicht in sevdesk gebucht.'),
  ]);
  if (!list.takes_payments || list.open_cents <= 0) return;
  const formSlot = h('div');
  const open = h('button', { type: 'button', class: 'btn', 'data-testid': 'record-payment' }, 'Zahlung erfassen');
  open.addEventListener('click', () => {
    open.hidden = true;
    clear(formSlot).append(paymentForm(inv, list, reload, () => { open.hidden = false; clear(formSlot); }));
    formSlot.querySelector('input').focus();
  });
  append(body, [h('div', { class: 'form-actions' }, open), formSlot]);
}

// The invoice's "Zahlung" fact (offen / teilweise bezahlt / bezahlt am …) after a payment.
async function refreshPaymentFact(invoiceId) {
  const slot = document.querySelector('[data-testid="invoice-payment"]');
  if (!slot) return;
  try {
    const fresh = await api.get(`/invoices/${invoiceId}`, { quiet: true });
    append(clear(slot), paymentFact(fresh.payment));
  } catch { /* the fact stays as it was; the payments card shows what happened */ }
}

function paymentForm(inv, list, reload, close) {
  const alert = formAlert();
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Zahlung speichern');
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Abbrechen');
  cancel.addEventListener('click', close);
  const form = h('form', { class: 'form-grid', novalidate: true, 'data-testid': 'payment-form' },
    alert,
    field({ label: 'Betrag (€)', name: 'amount_cents', value: fmt.euroPlain(list.open_cents), required: true, attrs: { inputmode: 'decimal', autocomplete: 'off' } }),
    field({ label: 'Datum', name: 'date', type: 'date', value: fmt.todayIso(), required: true }),
    field({ label: 'Zahlungsart', name: 'method', type: 'select', value: 'cash', attrs: { options: [['cash', 'bar'], ['card', 'EC-Karte'], ['transfer', 'Überweisung']] } }),
    h('div', { class: 'form-actions' }, submit, cancel));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const amount = fmt.parseEuro(form.elements.amount_cents.value);
    const day = fmt.parseDateDe(form.elements.date.value);
    let bad = false;
    if (amount === null || amount <= 0) { setFieldError(form, 'amount_cents', 'Bitte einen Betrag wie 12,50 eingeben.'); bad = true; }
    if (!day) { setFieldError(form, 'date', fmt.DATE_HINT); bad = true; }
    if (bad) { form.querySelector('[aria-invalid="true"]').focus(); return; }
    await working(submit, 'Speichern …', async () => {
      try {
        const res = await api.post(`/invoices/${inv.id}/payments`, { amount_cents: amount, date: day, method: form.elements.method.value });
        const p = res.payment;
        toast(p.booking === 'booked' ? 'Zahlung erfasst. In sevdesk gebucht.' : `Zahlung erfasst. ${p.message}`, p.booking === 'failed' || p.booking === 'check' ? 'error' : 'ok');
        await reload();
        await refreshPaymentFact(inv.id);
      } catch (e) {
        showErrors(form, e);
      }
    });
  });
  return form;
}

function totalsBox(t) {
  return h('dl', { class: 'totals', 'data-testid': 'totals' },
    h('div', {}, h('dt', {}, 'Summe netto'), h('dd', { 'data-total': 'net' }, fmt.euro(t.net))),
    t.groups.filter((g) => g.rate > 0).map((g) => h('div', {}, h('dt', {}, `zzgl. ${g.rate} % USt`), h('dd', {}, fmt.euro(g.tax)))),
    h('div', { class: 'grand' }, h('dt', {}, 'Gesamtbetrag'), h('dd', { 'data-total': 'gross' }, fmt.euro(t.gross))));
}

async function renderDraftEditor(main, ctx, school, inv) {
  const isNew = !inv;
  const klein = school.tax_mode === 'kleinunternehmer';
  const rates = klein ? [0] : [19, 7, 0];
  const draft = inv || {
    customer_id: Number(ctx.query.get('kunde')) || null,
    invoice_date: fmt.todayIso(), service_date: null, service_period_end: null,
    price_entry: school.price_entry || 'gross', notes: '',
    lines: [{ text: '', quantity: '1', unit: 'Std.', unit_price_cents: null, vat_rate: rates[0] }],
  };
  pageTitle(isNew ? 'Neue Rechnung' : 'Rechnungsentwurf');
  const alert = formAlert();

  // Customer: search and pick.
  const custSearchId = nextId('cs');
  const custSearch = h('input', { type: 'search', id: custSearchId, placeholder: 'Name oder Kundennummer …', autocomplete: 'off' });
  const custSelect = h('select', { id: nextId('cust') });
  const custField = field({ label: 'Kunde', name: 'customer_id', control: custSelect, required: true });
  let selectedCustomer = null;
  async function loadCustomers(q) {
    try {
      const data = await api.get(`/customers${api.query({ q, limit: 50 })}`, { quiet: true });
      const items = data.items;
      if (selectedCustomer && !items.some((c) => c.id === selectedCustomer.id)) items.unshift(selectedCustomer);
      clear(custSelect);
      custSelect.append(h('option', { value: '' }, items.length ? 'Bitte wählen …' : 'Keine Kunden gefunden'));
      for (const c of items) {
        custSelect.append(h('option', { value: c.id, selected: c.id === draft.customer_id }, `${c.display_name} (${c.customer_number})`));
      }
      if (q && items.length === 1 && !draft.customer_id) { custSelect.value = String(items[0].id); draft.customer_id = items[0].id; }
    } catch (e) { setFieldError(main, 'customer_id', e.message); }
  }
  if (draft.customer_id) {
    try { selectedCustomer = await api.get(`/customers/${draft.customer_id}`); } catch { selectedCustomer = null; }
  }
  custSelect.addEventListener('change', () => { draft.customer_id = Number(custSelect.value) || null; });
  custSearch.addEventListener('input', debounce(() => loadCustomers(custSearch.value.trim()), 250));
  await loadCustomers('');
  if (!ctx.alive()) return;

  const linesBody = h('tbody', {});
  const totalsSlot = h('div', { class: 'totals-slot', 'aria-live': 'polite' });
  const priceEntry = h('select', { id: nextId('pe') },
    h('option', { value: 'gross', selected: draft.price_entry === 'gross' }, 'Bruttopreise (inkl. USt)'),
    h('option', { value: 'net', selected: draft.price_entry === 'net' }, 'Nettopreise (zzgl. USt)'));
  let lines = draft.lines.map((l) => ({
    text: l.text, quantity: fmt.quantityDe(l.quantity), unit: l.unit,
    price: l.unit_price_cents === null ? '' : fmt.euroPlain(l.unit_price_cents), vat_rate: l.vat_rate,
  }));

  function readLines() {
    lines = [...linesBody.querySelectorAll('tr')].map((tr) => ({
      text: tr.querySelector('[data-col="text"]').value,
      quantity: tr.querySelector('[data-col="quantity"]').value,
      unit: tr.querySelector('[data-col="unit"]').value,
      price: tr.querySelector('[data-col="price"]').value,
      vat_rate: Number(tr.querySelector('[data-col="vat"]').value),
    }));
  }
  function lineInput(i, col, label, value, attrs = {}) {
    const id = nextId('l');
    const errId = `${id}-err`;
    const apiField = { text: 'text', quantity: 'quantity', unit: 'unit', price: 'unit_price_cents', vat: 'vat_rate' }[col];
    const input = col === 'vat'
      ? h('select', { id, 'data-col': col }, rates.map((r) => h('option', { value: r, selected: r === value }, `${r} %`)))
      : h('input', { id, type: 'text', 'data-col': col, value, autocomplete: 'off', ...attrs });
    input.dataset.field = `lines[${i}].${apiField}`;
    input.setAttribute('aria-describedby', errId);
    return h('td', { 'data-label': label, class: `col-${col}` },
      h('label', { for: id, class: 'cell-label' }, label, h('span', { class: 'sr-only' }, ` (Position ${i + 1})`)),
      input, h('p', { class: 'error', id: errId, hidden: true }));
  }
  function renderLines(focusLast = false) {
    clear(linesBody);
    lines.forEach((l, i) => {
      linesBody.append(h('tr', { dataset: { index: i } },
        lineInput(i, 'text', 'Beschreibung', l.text, { placeholder: 'z. B. Einzelstunde Welpentraining' }),
        lineInput(i, 'quantity', 'Menge', l.quantity, { inputmode: 'decimal', class: 'num' }),
        lineInput(i, 'unit', 'Einheit', l.unit, { class: 'w-unit' }),
        lineInput(i, 'price', 'Einzelpreis (€)', l.price, { inputmode: 'decimal', class: 'num', placeholder: '0,00' }),
        lineInput(i, 'vat', 'USt', l.vat_rate),
        h('td', { 'data-label': 'Betrag', class: 'num col-amount' }, h('output', { 'data-amount': i }, '–')),
        h('td', { class: 'col-remove' }, h('button', {
          type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': `Position ${i + 1} entfernen`,
          onclick: () => { readLines(); lines.splice(i, 1); renderLines(); updateTotals(); addLine.focus(); },
        }, icon('trash')))));
    });
    if (focusLast) linesBody.querySelector('tr:last-child input')?.focus();
  }
  function updateTotals() {
    readLines();
    const computed = [];
    lines.forEach((l, i) => {
      const q = fmt.parseQuantity(l.quantity);
      const p = fmt.parseEuro(l.price);
      const out = linesBody.querySelector(`[data-amount="${i}"]`);
      if (q !== null && p !== null) {
        const amount = fmt.lineAmount(q, p);
        computed.push({ vat_rate: l.vat_rate, amount });
        out.textContent = fmt.euro(amount);
      } else {
        out.textContent = '–';
      }
    });
    const t = fmt.computeTotals(computed, priceEntry.value);
    clear(totalsSlot).append(totalsBox(t));
  }
  const addLine = h('button', { type: 'button', class: 'btn btn-small', onclick: () => { readLines(); lines.push({ text: '', quantity: '1', unit: 'Std.', price: '', vat_rate: rates[0] }); renderLines(true); updateTotals(); } }, icon('plus'), 'Position hinzufügen');
  renderLines();
  linesBody.addEventListener('input', updateTotals);
  linesBody.addEventListener('change', updateTotals);
  priceEntry.addEventListener('change', updateTotals);

  const saveBtn = h('button', { type: 'submit', class: 'btn' }, 'Entwurf speichern');
  const finalizeBtn = h('button', { type: 'button', class: 'btn btn-primary' }, 'Festschreiben …');
  const deleteBtn = !isNew ? h('button', { type: 'button', class: 'btn btn-ghost btn-danger-text' }, icon('trash'), 'Entwurf löschen') : null;
  const form = h('form', { class: 'form', novalidate: true },
    alert,
    h('section', { class: 'card' }, h('h2', {}, 'Kunde und Datum'),
      h('div', { class: 'grid' },
        h('div', { class: 'field' }, h('label', { for: custSearchId }, 'Kunden suchen'), h('div', { class: 'input-icon' }, icon('search'), custSearch)),
        custField,
        field({ label: 'Rechnungsdatum', name: 'invoice_date', type: 'date', value: draft.invoice_date, required: true }),
        field({ label: 'Leistungsdatum', name: 'service_date', type: 'date', value: draft.service_date || '', hint: 'Leer: wie Rechnungsdatum' }),
        field({ label: 'Leistungszeitraum bis', name: 'service_period_end', type: 'date', value: draft.service_period_end || '', hint: 'Nur bei einem Zeitraum' }),
        field({ label: 'Preise', name: 'price_entry', control: priceEntry }))),
    h('section', { class: 'card' }, h('h2', {}, 'Positionen'),
      h('p', { class: 'error', hidden: true, id: 'lines-err' }),
      h('div', { class: 'table-wrap' }, h('table', { class: 'lines-table' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Beschreibung'), h('th', { scope: 'col', class: 'num' }, 'Menge'), h('th', { scope: 'col' }, 'Einheit'),
          h('th', { scope: 'col', class: 'num' }, 'Einzelpreis (€)'), h('th', { scope: 'col' }, 'USt'), h('th', { scope: 'col', class: 'num' }, 'Betrag'),
          h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Entfernen')))),
        linesBody)),
      addLine,
      klein ? h('p', { class: 'hint' }, 'Kleinunternehmer (§ 19 UStG): Es wird keine Umsatzsteuer berechnet.') : null,
      totalsSlot),
    h('section', { class: 'card' }, h('h2', {}, 'Hinweise'),
      field({ label: 'Hinweise auf der Rechnung', name: 'notes', type: 'textarea', value: draft.notes, wide: true })),
    h('div', { class: 'form-actions sticky' }, finalizeBtn, saveBtn, h('a', { class: 'btn btn-ghost', href: '#/rechnungen' }, 'Abbrechen'), deleteBtn));
  // A field for "lines" errors (e.g. "at least one line").
  const linesAnchor = h('input', { type: 'hidden', 'data-field': 'lines', 'aria-describedby': 'lines-err' });
  form.querySelector('#lines-err').before(linesAnchor);
  updateTotals();

  function collect() {
    clearErrors(form);
    readLines();
    let ok = true;
    const out = lines.map((l, i) => {
      const q = fmt.parseQuantity(l.quantity);
      const p = fmt.parseEuro(l.price);
      if (q === null) { ok = false; setFieldError(form, `lines[${i}].quantity`, 'Bitte eine Menge wie 1 oder 1,5 eingeben.'); }
      if (p === null) { ok = false; setFieldError(form, `lines[${i}].unit_price_cents`, 'Bitte einen Betrag wie 45,00 eingeben.'); }
      return { text: l.text.trim(), quantity: q ?? '0', unit: l.unit.trim(), unit_price_cents: p ?? 0, vat_rate: l.vat_rate };
    });
    const dates = {};
    for (const n of ['invoice_date', 'service_date', 'service_period_end']) {
      const iso = fmt.parseDateDe(form.querySelector(`[data-field="${n}"]`).value);
      if (iso === null) { ok = false; setFieldError(form, n, fmt.DATE_HINT); }
      dates[n] = iso || null;
    }
    if (!ok) {
      alert.hidden = false;
      alert.textContent = 'Bitte die markierten Felder prüfen.';
      form.querySelector('[aria-invalid="true"]')?.focus();
      return null;
    }
    const v = (n) => form.querySelector(`[data-field="${n}"]`).value;
    return {
      customer_id: Number(custSelect.value) || null,
      ...dates,
      price_entry: priceEntry.value,
      notes: v('notes'),
      lines: out,
    };
  }
  async function save() {
    const body = collect();
    if (!body) return null;
    if (body.customer_id === null) {
      if (isNew || !inv?.id) { setFieldError(form, 'customer_id', 'Bitte einen Kunden wählen.'); custSelect.focus(); return null; }
      delete body.customer_id;
    }
    try {
      const saved = inv?.id ? await api.patch(`/invoices/${inv.id}`, body) : await api.post('/invoices', body);
      inv = saved;
      return saved;
    } catch (e) {
      showErrors(form, e);
      return null;
    }
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await working(saveBtn, 'Speichern …', async () => {
      const saved = await save();
      if (!saved) return;
      toast('Entwurf gespeichert.');
      if (isNew) ctx.navigate(`#/rechnungen/${saved.id}`);
    });
  });
  finalizeBtn.addEventListener('click', async () => {
    const saved = await working(finalizeBtn, 'Speichern …', save);
    if (!saved) return;
    const ok = await confirmDialog({
      title: 'Rechnung festschreiben?',
      body: [`Gesamtbetrag: ${fmt.euro(saved.total_gross_cents)}.`,
        'Beim Festschreiben erhält die Rechnung ihre Nummer und das PDF wird erzeugt. Danach kann sie nicht mehr geändert oder gelöscht werden – nur noch storniert.',
        'Das Festschreiben kann nicht rückgängig gemacht werden.'],
      confirm: 'Endgültig festschreiben',
    });
    if (!ok) { if (isNew) ctx.navigate(`#/rechnungen/${saved.id}`); return; }
    await working(finalizeBtn, 'Festschreiben …', async () => {
      try {
        const fin = await api.post(`/invoices/${saved.id}/finalize`);
        toast(`Rechnung ${fin.number} festgeschrieben.`);
        ctx.navigate(`#/rechnungen/${fin.id}`);
      } catch (e) {
        showErrors(form, e);
      }
    });
  });
  deleteBtn?.addEventListener('click', async () => {
    const ok = await confirmDialog({ title: 'Entwurf löschen?', body: 'Der Rechnungsentwurf wird gelöscht.', confirm: 'Löschen', danger: true });
    if (!ok) return;
    try {
      await api.del(`/invoices/${inv.id}`);
      toast('Entwurf gelöscht.');
      ctx.navigate('#/rechnungen');
    } catch (e) { showErrors(form, e); }
  });

  main.append(
    h('nav', { class: 'breadcrumb', 'aria-label': 'Brotkrumen' }, h('a', { href: '#/rechnungen' }, 'Rechnungen'), ' › ', isNew ? 'Neu' : 'Entwurf'),
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, isNew ? 'Neue Rechnung' : 'Rechnungsentwurf'), h('span', { class: 'badge badge-draft' }, 'Entwurf')),
    form);
  main.querySelector('h1').focus();
}
