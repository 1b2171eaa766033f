import * as api from '../api.js';
import * as fmt from '../format.js';
import {
  h, append, clear, field, formAlert, showErrors, clearErrors, working, icon, pager, skeletonRows,
  debounce, toast, pageTitle, nextId, noHitsRow,
} from '../dom.js';
import { MATCHING_HASH } from './matching.js';
import { paymentBadge } from './invoices.js';

const PAGE = 25;
const BATCH_KEY = 'hs-sevdesk-batch';

export const SEVDESK = {
  not_transferred: { icon: 'circle-dashed', label: 'nicht übertragen' },
  queued: { icon: 'clock', label: 'in Warteschlange' },
  in_progress: { icon: 'sync', label: 'wird übertragen' },
  transferred: { icon: 'check-circle', label: 'übertragen' },
  failed: { icon: 'alert', label: 'fehlgeschlagen' },
  waiting: { icon: 'pause', label: 'wartet auf Verbindung' },
  awaiting_match: { icon: 'pause', label: 'wartet auf Kundenabgleich' },
};
const NOT_FILTERABLE = new Set(['awaiting_match']);

const EVENT_LABEL = {
  queued: 'Vorgemerkt', started: 'Gestartet', contact_adopted: 'Kontakt übernommen', contact_created: 'Kontakt angelegt',
  address_synced: 'Anschrift', email_synced: 'E-Mail', address_updated: 'Anschrift geändert', email_updated: 'E-Mail geändert', uploaded: 'PDF hochgeladen', transferred: 'Übertragen',
  failed: 'Fehlgeschlagen', retry_scheduled: 'Neuer Versuch geplant', retry: 'Erneut versucht', paused: 'Pausiert',
  waiting: 'Wartet', sum_mismatch: 'Beträge abweichend', rate_limited: 'Gebremst', auth: 'Verbindung', receipt: 'Beleg', stopping: 'Dienst beendet',
  retransfer: 'Erneut übertragen',
};

export function sevdeskStatus(sd, { withDetails = true } = {}) {
  if (!sd) return h('span', { class: 'muted', title: 'Ausgaben werden nicht an Sevdesk übertragen.' }, '–');
  const def = SEVDESK[sd.status] || { icon: 'info', label: sd.label || sd.status };
  const wrap = h('span', { class: `sd sd-${sd.status}`, 'data-sevdesk': sd.status },
    h('span', { class: 'sd-main' }, icon(def.icon, sd.status === 'in_progress' ? 'spin' : ''), h('span', { class: 'sd-label' }, sd.label || def.label)));
  if (withDetails && sd.status === 'transferred' && sd.link) {
    wrap.append(h('a', { class: 'sd-link', href: sd.link, target: '_blank', rel: 'noopener' }, 'in Sevdesk öffnen', icon('external', 'small'),
      h('span', { class: 'sr-only' }, ' (neues Fenster)')));
  }
  if (withDetails && ['failed', 'waiting', 'awaiting_match'].includes(sd.status) && sd.reason) {
    wrap.append(h('span', { class: 'sd-reason' }, sd.reason));
  }
  if (withDetails && sd.status === 'awaiting_match') {
    wrap.append(h('a', { class: 'sd-link', href: MATCHING_HASH }, 'Zum Kundenabgleich'));
  }
  // Payment sync (issue 16): the voucher was deleted or changed in sevdesk.
  const presence = sd.voucher_state?.presence;
  if (sd.status === 'transferred' && (presence === 'deleted' || presence === 'changed')) {
    wrap.classList.add('sd-warning');
    wrap.append(h('span', { class: 'sd-reason', role: 'note', 'data-presence': presence }, icon('alert', 'small'), ' ',
      presence === 'deleted' ? 'in sevdesk gelöscht' : 'in sevdesk geändert'));
  }
  // In sevdesk, but with other sums than the invoice: shown wherever the status is, never silent.
  if (sd.status === 'transferred' && sd.warning) {
    wrap.classList.add('sd-warning');
    wrap.append(h('span', { class: 'sd-reason', role: 'note' }, icon('alert', 'small'), ' ', sd.warning));
  }
  return wrap;
}

function typeLabel(t) { return t === 'income' ? 'Einnahme' : 'Ausgabe'; }

export async function renderReceipts(main, ctx) {
  pageTitle('Belege');
  const q0 = ctx.query;
  const state = {
    type: q0.get('type') ?? '',
    from: q0.get('from') || '',
    to: q0.get('to') || '',
    q: q0.get('q') || '',
    sevdesk: q0.get('sevdesk') || '',
    page: Number(q0.get('page')) || 1,
  };
  const selected = new Set();
  let allMatching = false;
  let lastData = { items: [], total: 0 };

  // Filters
  const typeGroup = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Art der Belege' },
    [['income', 'Einnahmen'], ['expense', 'Ausgaben'], ['', 'Alle']].map(([v, t]) => h('button', {
      type: 'button', class: 'seg', 'aria-pressed': String(state.type === v), dataset: { type: v },
      onclick: () => { state.type = v; typeGroup.querySelectorAll('.seg').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.type === v))); filterChanged(); },
    }, t)));
  const fromId = nextId('from'); const toId = nextId('to'); const qId = nextId('q'); const sdId = nextId('sd');
  const dateAttrs = { type: 'text', inputmode: 'numeric', autocomplete: 'off', placeholder: 'TT.MM.JJJJ', class: 'w-date' };
  const from = h('input', { ...dateAttrs, id: fromId, value: state.from ? fmt.date(state.from) : '', 'aria-describedby': `${fromId}-err` });
  const to = h('input', { ...dateAttrs, id: toId, value: state.to ? fmt.date(state.to) : '', 'aria-describedby': `${toId}-err` });
  function dateFilter(input, key) {
    const iso = fmt.parseDateDe(input.value);
    const err = document.getElementById(`${input.id}-err`);
    input.toggleAttribute('aria-invalid', iso === null);
    err.hidden = iso !== null;
    err.textContent = iso === null ? fmt.DATE_HINT : '';
    if (iso === null || iso === state[key]) return;
    state[key] = iso;
    if (iso) input.value = fmt.date(iso);
    filterChanged();
  }
  const search = h('input', { type: 'search', id: qId, value: state.q, placeholder: 'Nummer, Kunde, Text …', autocomplete: 'off' });
  const sdFilter = h('select', { id: sdId },
    h('option', { value: '' }, 'Alle'),
    // The API filters by the statuses it has always had; "wartet auf Kundenabgleich" is not one of them.
    Object.entries(SEVDESK).filter(([k]) => !NOT_FILTERABLE.has(k))
      .map(([k, v]) => h('option', { value: k, selected: state.sevdesk === k }, v.label)));
  from.addEventListener('change', () => dateFilter(from, 'from'));
  to.addEventListener('change', () => dateFilter(to, 'to'));
  search.addEventListener('input', debounce(() => { state.q = search.value.trim(); filterChanged(); }, 200));
  sdFilter.addEventListener('change', () => { state.sevdesk = sdFilter.value; filterChanged(); });

  // Selection and actions
  const headCheck = h('input', { type: 'checkbox', id: 'select-page', 'aria-label': 'Alle Belege auf dieser Seite auswählen' });
  const selectionBar = h('div', { class: 'selection-bar', 'aria-live': 'polite' });
  const actionsBtn = h('button', { type: 'button', class: 'btn', id: 'actions-button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': 'actions-menu' },
    'Aktionen', icon('chevron-down', 'small'));
  const transferItem = h('button', { type: 'button', role: 'menuitem', class: 'menu-item', tabindex: '-1' }, icon('upload'), 'Zu Sevdesk übertragen');
  const menu = h('div', { class: 'menu', id: 'actions-menu', role: 'menu', 'aria-labelledby': 'actions-button', hidden: true }, transferItem);
  const actionsWrap = h('div', { class: 'menu-wrap' }, actionsBtn, menu);
  const uploadBtn = h('button', { type: 'button', class: 'btn btn-primary' }, icon('upload'), 'Ausgabe hochladen');

  const tbody = h('tbody', {}, skeletonRows(8, 10));
  const pagerSlot = h('div', { class: 'pager-slot' });
  const alertSlot = h('div');
  const progressSlot = h('section', { class: 'progress-slot', 'aria-live': 'polite', 'aria-label': 'Übertragung zu Sevdesk' });

  main.append(
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Belege'), uploadBtn),
    h('div', { class: 'toolbar filters' },
      h('div', { class: 'field' }, h('span', { class: 'label', id: 'type-label' }, 'Art'), typeGroup),
      h('div', { class: 'field field-date' }, h('label', { for: fromId }, 'Von'), from, h('p', { class: 'error', id: `${fromId}-err`, hidden: true })),
      h('div', { class: 'field field-date' }, h('label', { for: toId }, 'Bis'), to, h('p', { class: 'error', id: `${toId}-err`, hidden: true })),
      h('div', { class: 'field search-field' }, h('label', { for: qId }, 'Suche'), h('div', { class: 'input-icon' }, icon('search'), search)),
      h('div', { class: 'field' }, h('label', { for: sdId }, 'Sevdesk-Status'), sdFilter)),
    progressSlot,
    alertSlot,
    h('div', { class: 'table-actions' }, selectionBar, actionsWrap),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'data-table responsive receipts-table' },
        h('caption', { class: 'sr-only' }, 'Belege'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', class: 'col-check' }, headCheck),
          h('th', { scope: 'col' }, 'Datum'),
          h('th', { scope: 'col' }, 'Nummer'),
          h('th', { scope: 'col' }, 'Art'),
          h('th', { scope: 'col' }, 'Kunde / Lieferant'),
          h('th', { scope: 'col', class: 'num' }, 'Betrag'),
          h('th', { scope: 'col', class: 'col-sd' }, 'Sevdesk'))),
        tbody)),
    pagerSlot);

  function selectionCount() { return allMatching ? lastData.total : selected.size; }

  function renderSelection() {
    const pageIds = lastData.items.map((r) => r.id);
    const pageAll = pageIds.length > 0 && pageIds.every((id) => allMatching || selected.has(id));
    const pageSome = pageIds.some((id) => allMatching || selected.has(id));
    headCheck.checked = pageAll;
    headCheck.indeterminate = !pageAll && pageSome;
    tbody.querySelectorAll('input[data-select]').forEach((cb) => { cb.checked = allMatching || selected.has(Number(cb.dataset.select)); });
    clear(selectionBar);
    const n = selectionCount();
    if (allMatching) {
      selectionBar.append(h('span', { 'data-testid': 'selection-info' }, `Alle ${fmt.integer(lastData.total)} Belege, die dem Filter entsprechen, sind ausgewählt.`), ' ',
        h('button', { type: 'button', class: 'link-button', onclick: () => { allMatching = false; selected.clear(); renderSelection(); } }, 'Auswahl aufheben'));
    } else if (n > 0) {
      selectionBar.append(h('span', { 'data-testid': 'selection-info' }, n === 1 ? '1 Beleg ausgewählt.' : `${fmt.integer(n)} Belege ausgewählt.`));
      if (pageAll && lastData.total > pageIds.length) {
        selectionBar.append(' ', h('button', {
          type: 'button', class: 'link-button', id: 'select-all-matching',
          onclick: () => { allMatching = true; renderSelection(); },
        }, `Alle ${fmt.integer(lastData.total)} Belege auswählen, die dem Filter entsprechen`));
      }
      selectionBar.append(' ', h('button', { type: 'button', class: 'link-button', onclick: () => { selected.clear(); renderSelection(); } }, 'Auswahl aufheben'));
    } else {
      selectionBar.append(h('span', { class: 'muted' }, 'Belege auswählen, um sie zu übertragen.'));
    }
    transferItem.setAttribute('aria-disabled', String(n === 0));
  }

  headCheck.addEventListener('change', () => {
    if (headCheck.checked) lastData.items.forEach((r) => selected.add(r.id));
    else { allMatching = false; lastData.items.forEach((r) => selected.delete(r.id)); }
    renderSelection();
  });

  // Menu: keyboard and pointer.
  function openMenu(focusFirst) {
    menu.hidden = false;
    actionsBtn.setAttribute('aria-expanded', 'true');
    if (focusFirst) transferItem.focus();
  }
  function closeMenu(focusButton) {
    menu.hidden = true;
    actionsBtn.setAttribute('aria-expanded', 'false');
    if (focusButton) actionsBtn.focus();
  }
  actionsBtn.addEventListener('click', () => (menu.hidden ? openMenu(true) : closeMenu(false)));
  actionsBtn.addEventListener('keydown', (e) => { if (e.key === 'ArrowDown') { e.preventDefault(); openMenu(true); } });
  menu.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.preventDefault(); closeMenu(true); }
    if (e.key === 'Tab') closeMenu(false);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp' || e.key === 'Home' || e.key === 'End') { e.preventDefault(); transferItem.focus(); }
  });
  document.addEventListener('click', (e) => { if (!actionsWrap.contains(e.target)) closeMenu(false); });
  transferItem.addEventListener('click', async () => {
    closeMenu(false);
    if (selectionCount() === 0) {
      clear(alertSlot).append(h('div', { class: 'form-alert', role: 'alert' }, 'Bitte zuerst Belege auswählen (Kästchen in der ersten Spalte).'));
      return;
    }
    await startTransfer();
  });

  async function matchingIds() {
    const ids = [];
    let page = 1;
    for (;;) {
      const data = await api.get(`/receipts${listQuery({ page, limit: 500 })}`);
      data.items.forEach((r) => { if (r.type === 'income') ids.push(r.id); });
      if (data.items.length < 500) break;
      page += 1;
    }
    return ids;
  }

  async function startTransfer() {
    clear(alertSlot);
    clear(progressSlot).append(h('div', { class: 'card progress-card' }, h('p', {}, h('span', { class: 'spinner' }), ' Übertragung wird vorbereitet …')));
    try {
      let body;
      if (allMatching && !state.q && !state.sevdesk && state.type !== 'expense') {
        // The server selects all income receipts of the range that are not transferred yet.
        body = { filter: { from: state.from || null, to: state.to || null } };
      } else if (allMatching) {
        body = { receipt_ids: await matchingIds() };
      } else {
        body = { receipt_ids: [...selected] };
      }
      if (body.receipt_ids && body.receipt_ids.length === 0) {
        showSummary({ done: 0, failed: 0, skipped: selectionCount(), total: selectionCount() }, 'Ausgaben werden nicht an Sevdesk übertragen.');
        return;
      }
      const created = await api.post('/integrations/sevdesk/transfers', body);
      selected.clear(); allMatching = false; renderSelection();
      if (created.queued === 0) {
        showSummary({ done: 0, failed: 0, skipped: created.skipped_count ?? created.skipped.length, total: created.skipped_count ?? created.skipped.length },
          skippedReasons(created.skipped));
        return;
      }
      sessionStorage.setItem(BATCH_KEY, String(created.batch_id));
      await followBatch(created.batch_id, created);
    } catch (e) {
      clear(progressSlot);
      clear(alertSlot).append(h('div', { class: 'form-alert', role: 'alert' }, e.message,
        e.details?.length ? h('ul', {}, e.details.map((d) => h('li', {}, d.message))) : null));
    }
  }

  function skippedReasons(skipped) {
    if (!skipped?.length) return '';
    const counts = {};
    skipped.forEach((s) => { counts[s.message || s.reason] = (counts[s.message || s.reason] || 0) + 1; });
    return Object.entries(counts).map(([m, n]) => `${n} × ${m}`).join(' · ');
  }

  function showSummary(s, note) {
    const transferred = s.done;
    clear(progressSlot).append(h('div', { class: `card progress-card done${s.failed ? ' has-failed' : ''}`, 'data-testid': 'transfer-summary', role: 'status' },
      h('h2', {}, icon(s.failed ? 'alert' : 'check-circle'), 'Übertragung abgeschlossen'),
      h('ul', { class: 'summary' },
        h('li', { 'data-count': 'transferred' }, h('strong', {}, fmt.integer(transferred)), ' übertragen'),
        h('li', { 'data-count': 'skipped' }, h('strong', {}, fmt.integer(s.skipped)), ' übersprungen'),
        h('li', { 'data-count': 'failed' }, h('strong', {}, fmt.integer(s.failed)), ' fehlgeschlagen')),
      note ? h('p', { class: 'muted' }, note) : null,
      s.failed ? h('p', {}, 'Fehlgeschlagene Belege zeigen den Grund in der Spalte „Sevdesk“; in der Detailansicht lassen sie sich erneut versuchen. ',
        h('button', { type: 'button', class: 'link-button', onclick: () => { sdFilter.value = 'failed'; state.sevdesk = 'failed'; filterChanged(); } }, 'Nur fehlgeschlagene anzeigen')) : null,
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => clear(progressSlot) }, 'Schließen')));
  }

  async function followBatch(batchId, created) {
    const bar = h('progress', { max: 100, value: 0, id: 'transfer-progress', 'aria-label': 'Fortschritt der Übertragung' });
    const text = h('p', { class: 'progress-text' }, 'Übertragung läuft …');
    const hint = h('p', { class: 'muted' });
    clear(progressSlot).append(h('div', { class: 'card progress-card', 'data-testid': 'transfer-progress' },
      h('h2', {}, icon('sync', 'spin'), 'Übertragung zu Sevdesk läuft'), bar, text, hint,
      h('p', { class: 'muted small' }, 'Sie können die Seite verlassen; die Übertragung läuft im Hintergrund weiter.')));
    let tick = 0;
    let stuck = 0;
    let lastDone = -1;
    following = true;
    try {
      await pollBatch();
    } finally {
      following = false;
    }
    async function pollBatch() {
    while (ctx.alive()) {
      let s;
      try {
        s = await api.get(`/integrations/sevdesk/transfers/${batchId}`, { quiet: true });
      } catch (e) {
        if (e.status === 404) { sessionStorage.removeItem(BATCH_KEY); clear(progressSlot); return; }
        hint.textContent = `${e.message} Neuer Versuch in Kürze …`;
        await sleep(2000);
        continue;
      }
      const processed = s.done + s.failed + s.skipped;
      const pct = s.total ? Math.round((processed / s.total) * 100) : 100;
      bar.value = pct;
      bar.setAttribute('aria-valuetext', `${processed} von ${s.total}`);
      text.textContent = `${fmt.integer(s.done)} von ${fmt.integer(s.total)} übertragen` +
        (s.failed ? `, ${fmt.integer(s.failed)} fehlgeschlagen` : '') + (s.skipped ? `, ${fmt.integer(s.skipped)} übersprungen` : '') +
        (s.eta_seconds && !s.finished ? ` · noch etwa ${fmt.seconds(s.eta_seconds)}` : '');
      if (s.finished) {
        sessionStorage.removeItem(BATCH_KEY);
        showSummary(s, created ? skippedReasons(created.skipped) : '');
        load();
        ctx.refreshBanner();
        return;
      }
      stuck = s.done === lastDone ? stuck + 1 : 0;
      lastDone = s.done;
      hint.textContent = stuck > 15 ? 'Es geht gerade nicht weiter. Prüfen Sie den Hinweis oben auf der Seite oder die Sevdesk-Spalte.' : '';
      if (tick++ % 3 === 0) { load(); ctx.refreshBanner(); }
      await sleep(700);
    }
    }
  }

  function listQuery(extra = {}) {
    return api.query({ type: state.type, from: state.from, to: state.to, q: state.q, sevdesk: state.sevdesk, limit: PAGE, page: state.page, ...extra });
  }

  let seq = 0;
  let refreshTimer = null;
  let following = false;
  async function load() {
    const my = ++seq;
    ctx.replaceQuery({ type: state.type, from: state.from, to: state.to, q: state.q, sevdesk: state.sevdesk, page: state.page > 1 ? state.page : '' });
    tbody.classList.add('loading');
    try {
      const data = await api.get(`/receipts${listQuery()}`);
      if (my !== seq || !ctx.alive()) return;
      lastData = data;
      clear(tbody);
      if (data.items.length === 0) {
        tbody.append(state.q
          ? noHitsRow(7, state.q, () => { search.value = ''; state.q = ''; filterChanged(); search.focus(); })
          : h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'Keine Belege für diesen Filter.')));
      }
      for (const r of data.items) {
        const cbId = `sel-${r.id}`;
        tbody.append(h('tr', { dataset: { id: r.id, number: r.number } },
          h('td', { class: 'col-check' },
            h('input', { type: 'checkbox', id: cbId, 'data-select': r.id, checked: allMatching || selected.has(r.id),
              onchange: (e) => { if (e.target.checked) selected.add(r.id); else { selected.delete(r.id); if (allMatching) { allMatching = false; lastData.items.forEach((x) => { if (x.id !== r.id) selected.add(x.id); }); } } renderSelection(); } }),
            h('label', { for: cbId, class: 'sr-only' }, `Beleg ${r.number || r.id} auswählen`)),
          h('td', { 'data-label': 'Datum' }, fmt.date(r.date)),
          h('td', { 'data-label': 'Nummer' }, h('a', { href: `#/belege/${r.id}` }, r.number || `Beleg ${r.id}`)),
          h('td', { 'data-label': 'Art' }, typeLabel(r.type)),
          h('td', { 'data-label': 'Kunde / Lieferant', class: 'col-party' }, r.counterparty || '–', r.description ? h('span', { class: 'sub' }, r.description) : null),
          h('td', { 'data-label': 'Betrag', class: 'num' }, fmt.euro(r.amount_gross_cents),
            r.payment && r.payment.state !== 'none' ? h('span', { class: 'sub' }, paymentBadge(r.payment)) : null),
          h('td', { 'data-label': 'Sevdesk', class: 'col-sd' }, sevdeskStatus(r.sevdesk))));
      }
      clear(pagerSlot).append(pager({ page: state.page, limit: PAGE, total: data.total, label: 'Belege', onPage: (p) => { state.page = p; load(); } }));
      renderSelection();
      clear(alertSlot);
      // Receipts on their way to sevdesk: look again shortly (the batch view polls by itself).
      clearTimeout(refreshTimer);
      if (!following && data.items.some((r) => r.sevdesk && ['queued', 'in_progress'].includes(r.sevdesk.status))) {
        refreshTimer = setTimeout(() => { if (ctx.alive() && my === seq) load(); }, 1500);
      }
    } catch (e) {
      if (my !== seq) return;
      if (tbody.querySelector('.skeleton')) clear(tbody);
      clear(alertSlot).append(h('div', { class: 'form-alert', role: 'alert' }, e.message));
    } finally {
      if (my === seq) tbody.classList.remove('loading');
    }
  }

  function filterChanged() {
    state.page = 1;
    selected.clear();
    allMatching = false;
    load();
  }

  uploadBtn.addEventListener('click', () => openUpload(() => load()));
  renderSelection();
  await load();
  const running = sessionStorage.getItem(BATCH_KEY);
  if (running) followBatch(Number(running), null);
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

// A file field whose button and text are German whatever the browser's language: the native
// input stays (focusable, labelled), drawn as a button with the chosen file's name.
function filePicker() {
  const wrap = field({ label: 'Datei (PDF, Foto oder E-Rechnung)', name: 'file', type: 'file', required: true, wide: true, attrs: { accept: 'application/pdf,image/png,image/jpeg,.xml,application/xml,text/xml', class: 'file-native' } });
  const input = wrap.querySelector('input');
  const name = h('span', { class: 'file-name' }, 'Keine Datei ausgewählt');
  input.addEventListener('change', () => { name.textContent = input.files[0]?.name || 'Keine Datei ausgewählt'; });
  input.after(h('span', { class: 'file-picker', 'aria-hidden': 'true', onclick: () => input.click() },
    h('span', { class: 'btn btn-small' }, icon('upload'), 'Datei auswählen'), name));
  return wrap;
}

function openUpload(onDone) {
  const titleId = nextId('up');
  const alert = formAlert();
  const progress = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': 'Hochladen' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('upload'), 'Hochladen');
  const form = h('form', { class: 'form', novalidate: true, method: 'dialog' },
    alert,
    h('div', { class: 'grid' },
      filePicker(),
      field({ label: 'Belegdatum', name: 'date', type: 'date', value: fmt.todayIso(), required: true }),
      field({ label: 'Betrag brutto (€)', name: 'amount_gross_cents', required: true, attrs: { inputmode: 'decimal', placeholder: '0,00', autocomplete: 'off' } }),
      field({ label: 'USt-Satz', name: 'vat_rate', type: 'select', value: '19', attrs: { options: [['19', '19 %'], ['7', '7 %'], ['0', '0 %']] } }),
      field({ label: 'Lieferant', name: 'supplier', attrs: { autocomplete: 'off' } }),
      field({ label: 'Belegnummer', name: 'number', attrs: { autocomplete: 'off' } }),
      field({ label: 'Beschreibung', name: 'description', wide: true, attrs: { autocomplete: 'off', placeholder: 'z. B. Futter, Leinen, Miete Hundeplatz' } })),
    h('p', { class: 'muted small' }, 'Bei einer E-Rechnung (XRechnung oder ZUGFeRD) werden leere Felder für Lieferant, Belegnummer und Beschreibung aus der Rechnung übernommen.'),
    progress,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => dlg.close() }, 'Abbrechen'), submit));
  const dlg = h('dialog', { class: 'dialog dialog-wide', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, 'Ausgabe hochladen'), form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const v = (n) => form.querySelector(`[data-field="${n}"]`);
    const cents = fmt.parseEuro(v('amount_gross_cents').value);
    const fd = new FormData();
    const file = v('file').files[0];
    if (file) fd.append('file', file, file.name);
    const iso = fmt.parseDateDe(v('date').value);
    if (iso === null) {
      showErrors(form, { message: 'Bitte die markierten Felder prüfen.', details: [{ field: 'date', message: fmt.DATE_HINT }] });
      return;
    }
    fd.append('date', iso);
    fd.append('amount_gross_cents', cents === null ? v('amount_gross_cents').value : String(cents));
    fd.append('vat_rate', v('vat_rate').value);
    fd.append('supplier', v('supplier').value);
    fd.append('number', v('number').value);
    fd.append('description', v('description').value);
    if (cents === null && v('amount_gross_cents').value.trim() !== '') {
      showErrors(form, { message: 'Bitte die markierten Felder prüfen.', details: [{ field: 'amount_gross_cents', message: 'Bitte einen Betrag wie 49,90 eingeben.' }] });
      return;
    }
    progress.hidden = false;
    progress.value = 0;
    await working(submit, 'Wird hochgeladen …', async () => {
      try {
        await api.upload('/receipts', fd, (p) => { progress.value = Math.round(p * 100); });
        dlg.close();
        toast('Beleg hochgeladen.');
        onDone();
      } catch (err) {
        progress.hidden = true;
        showErrors(form, err.details.length ? err : { ...err, message: err.message, details: [] });
      }
    });
  });
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  form.querySelector('input').focus();
}

// The card's heading: "E-Rechnung (XRechnung 3.0)"; a format that brings its own parentheses
// ("XRechnung 3.0 (UBL)", "ZUGFeRD / Factur-X (EN 16931)") follows a colon instead of nesting them.
export function eInvoiceTitle(format) {
  return format.includes('(') ? `E-Rechnung: ${format}` : `E-Rechnung (${format})`;
}

// The data of a received e-invoice as the school reads a paper invoice: who, which number, when,
// the positions and the amounts per VAT rate; what does not add up is listed as a note.
function eInvoiceCard(e) {
  const fact = (label, value) => h('div', {}, h('dt', {}, label), h('dd', {}, value || '–'));
  const supplier = [e.supplier.name, e.supplier.vat_id ? `USt-IdNr. ${e.supplier.vat_id}` : '', e.supplier.tax_number ? `Steuernummer ${e.supplier.tax_number}` : '']
    .filter(Boolean).join(' · ');
  const amount = (cents) => (e.currency && e.currency !== 'EUR' ? `${fmt.euroPlain(cents)} ${e.currency}` : fmt.euro(cents));
  const t = e.totals;
  return h('section', { class: 'card', 'aria-labelledby': 'einvoice-title', 'data-testid': 'e-invoice' },
    h('h2', { id: 'einvoice-title' }, eInvoiceTitle(e.format)),
    e.warnings.length ? h('div', { class: 'note', role: 'note' }, icon('alert', 'small'), ' Hinweise zur E-Rechnung:',
      h('ul', {}, e.warnings.map((w) => h('li', {}, w)))) : null,
    h('dl', { class: 'facts' },
      fact('Lieferant', supplier),
      fact('Rechnungsnummer', e.number),
      fact('Art', e.type_label),
      fact('Rechnungsdatum', fmt.date(e.issue_date)),
      fact('Fällig am', fmt.date(e.due_date))),
    h('h3', {}, 'Positionen'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'data-table responsive' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Nr.'), h('th', { scope: 'col' }, 'Bezeichnung'), h('th', { scope: 'col', class: 'num' }, 'Menge'),
        h('th', { scope: 'col' }, 'Einheit'), h('th', { scope: 'col', class: 'num' }, 'USt'), h('th', { scope: 'col', class: 'num' }, 'Netto'))),
      h('tbody', {}, e.lines.map((l) => h('tr', {},
        h('td', { 'data-label': 'Nr.' }, l.id || '–'),
        h('td', { 'data-label': 'Bezeichnung' }, l.name || '–'),
        h('td', { 'data-label': 'Menge', class: 'num' }, fmt.quantityDe(l.quantity) || '–'),
        h('td', { 'data-label': 'Einheit' }, l.unit_code || '–'),
        h('td', { 'data-label': 'USt', class: 'num' }, l.vat_rate.label),
        h('td', { 'data-label': 'Netto', class: 'num' }, amount(l.net_cents))))))),
    h('dl', { class: 'facts', 'data-testid': 'e-invoice-totals' },
      fact('Netto', amount(t.net_cents)),
      e.tax_groups.map((g) => fact(`USt ${g.vat_rate.label}`, `${amount(g.tax_cents)} auf ${amount(g.basis_cents)}${g.exemption_reason ? ` (${g.exemption_reason})` : ''}`)),
      fact('Brutto', h('strong', {}, amount(t.gross_cents))),
      t.due_payable_cents !== t.gross_cents ? fact('Zahlbetrag', amount(t.due_payable_cents)) : null));
}

export async function renderReceiptDetail(main, ctx) {
  const id = ctx.params[0];
  const r = await api.get(`/receipts/${id}`);
  if (!ctx.alive()) return;
  pageTitle(`Beleg ${r.number || r.id}`);
  const sdSlot = h('section', { class: 'card', 'aria-labelledby': 'sd-title' });
  main.append(
    h('nav', { class: 'breadcrumb', 'aria-label': 'Brotkrumen' }, h('a', { href: `#/belege?type=${r.type}` }, 'Belege'), ' › ', r.number || r.id),
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, `${typeLabel(r.type)} ${r.number || ''}`.trim())),
    h('section', { class: 'card' },
      h('dl', { class: 'facts' },
        h('div', {}, h('dt', {}, 'Datum'), h('dd', {}, fmt.date(r.date))),
        h('div', {}, h('dt', {}, r.type === 'income' ? 'Kunde' : 'Lieferant'), h('dd', {}, r.counterparty || '–')),
        h('div', {}, h('dt', {}, 'Beschreibung'), h('dd', {}, r.description || '–')),
        h('div', {}, h('dt', {}, 'Betrag brutto'), h('dd', {}, h('strong', {}, fmt.euro(r.amount_gross_cents)))),
        h('div', {}, h('dt', {}, 'davon USt'), h('dd', {}, `${fmt.euro(r.amount_tax_cents)}${r.vat_rate !== null ? ` (${r.vat_rate} %)` : ''}`)),
        h('div', {}, h('dt', {}, 'Netto'), h('dd', {}, fmt.euro(r.amount_net_cents))),
        h('div', {}, h('dt', {}, 'Datei'), h('dd', {}, h('a', { href: r.file.url, target: '_blank', rel: 'noopener' }, icon('file', 'small'), r.file.name || 'Datei öffnen'), ` (${fmt.fileSize(r.file.size)})`)),
        r.invoice_id ? h('div', {}, h('dt', {}, 'Rechnung'), h('dd', {}, h('a', { href: `#/rechnungen/${r.invoice_id}` }, 'Rechnung anzeigen'))) : null,
        r.payment ? h('div', {}, h('dt', {}, 'Zahlung'), h('dd', { 'data-testid': 'receipt-payment' }, paymentBadge(r.payment))) : null)),
    // main.append is the DOM's own: a null would be printed, so no card is no argument at all.
    ...(r.e_invoice ? [eInvoiceCard(r.e_invoice)] : []),

    r.type === 'income' ? sdSlot : h('p', { class: 'muted' }, 'Ausgaben werden nicht an Sevdesk übertragen.'));
  main.querySelector('h1').focus();
  if (r.type !== 'income') return;

  async function loadSd(focusStatus = false) {
    let hist;
    try {
      hist = await api.get(`/receipts/${id}/sevdesk`);
    } catch (e) {
      clear(sdSlot).append(h('h2', { id: 'sd-title' }, 'Sevdesk'), h('div', { class: 'form-alert', role: 'alert' }, e.message));
      return;
    }
    if (!ctx.alive()) return;
    const sd = hist.sevdesk;
    const alertSlot = h('div');
    const retry = sd.status === 'failed' ? h('button', { type: 'button', class: 'btn btn-primary', id: 'retry-button' }, icon('sync'), 'Erneut versuchen') : null;
    retry?.addEventListener('click', () => working(retry, 'Wird angestoßen …', async () => {
      try {
        await api.post(`/receipts/${id}/sevdesk/retry`);
        toast('Erneuter Versuch angestoßen.');
        await loadSd(true);
        poll();
      } catch (e) {
        clear(alertSlot).append(h('div', { class: 'form-alert', role: 'alert' }, e.message));
      }
    }));
    // A voucher deleted in sevdesk: "Erneut übertragen" creates exactly one new one.
    const retransfer = sd.retransferable ? h('button', { type: 'button', class: 'btn btn-primary', id: 'retransfer-button' }, icon('sync'), 'Erneut übertragen') : null;
    retransfer?.addEventListener('click', () => working(retransfer, 'Wird angestoßen …', async () => {
      try {
        await api.post(`/receipts/${id}/sevdesk/retry`);
        toast('Der Beleg wird erneut an sevdesk übertragen.');
        await loadSd(true);
        poll();
      } catch (e) {
        clear(alertSlot).append(h('div', { class: 'form-alert', role: 'alert' }, e.message));
      }
    }));
    const statusLine = h('div', { class: 'sd-detail', tabindex: '-1' }, sevdeskStatus(sd));
    append(clear(sdSlot), [
      h('h2', { id: 'sd-title' }, 'Sevdesk'),
      statusLine,
      sd.hint ? h('p', { class: 'note' }, icon('info', 'small'), ' ', sd.hint,
        sd.status === 'awaiting_match' ? [' ', h('a', { href: MATCHING_HASH }, 'Zum Kundenabgleich')] : null) : null,
      sd.next_retry_at ? h('p', { class: 'muted' }, `Nächster automatischer Versuch: ${fmt.dateTime(sd.next_retry_at)}`) : null,
      sd.attempts ? h('p', { class: 'muted' }, `Versuche: ${sd.attempts}`) : null,
      alertSlot,
      retry,
      retransfer,
      h('h3', {}, 'Verlauf'),
      hist.events.length === 0 ? h('p', { class: 'muted' }, 'Noch keine Übertragung.') :
        h('div', { class: 'table-wrap' }, h('table', { class: 'data-table responsive history' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Zeitpunkt'), h('th', { scope: 'col' }, 'Ereignis'), h('th', { scope: 'col' }, 'Meldung'))),
          h('tbody', {}, hist.events.map((ev) => h('tr', {},
            h('td', { 'data-label': 'Zeitpunkt' }, fmt.dateTime(ev.at)),
            h('td', { 'data-label': 'Ereignis' }, EVENT_LABEL[ev.kind] || ev.kind),
            h('td', { 'data-label': 'Meldung' }, ev.message))))))]);
    if (focusStatus) statusLine.focus();
    return sd;
  }
  async function poll() {
    for (let i = 0; i < 120 && ctx.alive(); i++) {
      await sleep(1000);
      if (!ctx.alive()) return;
      const sd = await loadSd();
      if (!sd || !['queued', 'in_progress'].includes(sd.status)) return;
    }
  }
  const sd = await loadSd();
  if (sd && ['queued', 'in_progress'].includes(sd.status)) poll();
}
