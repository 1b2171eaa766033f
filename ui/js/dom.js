import { date as dateDe } from './format.js';

// Small DOM helpers: elements without innerHTML, icons, labelled fields, API errors at the
// fields they belong to, dialogs, toasts and a pager.

let uid = 0;
export const nextId = (prefix = 'f') => `${prefix}-${++uid}`;

// h('button', {class: 'btn', onclick: fn}, 'Text', child, [more])
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'class') {
      el.className = v;
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (k === 'value' && ('value' in el)) {
      el.value = v;
    } else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden' || k === 'required' || k === 'multiple') {
      el[k] = !!v;
      if (k !== 'checked' && k !== 'selected') el.toggleAttribute(k, !!v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

export function icon(name, extra = '') {
  return h('span', { class: `icon icon-${name} ${extra}`.trim(), 'aria-hidden': 'true' });
}

// A labelled input with a hint and an error slot. `name` is the API field path
// (e.g. "address.zip", "lines[0].quantity") so server errors land next to the field.
export function field({ label, name, type = 'text', value = '', hint, required, attrs = {}, control, wide, className }) {
  const id = attrs.id || nextId('f');
  const hintId = hint ? `${id}-hint` : null;
  const errId = `${id}-err`;
  let input = control;
  if (!input) {
    if (type === 'textarea') {
      input = h('textarea', { id, name, rows: 3, ...attrs });
      input.value = value ?? '';
    } else if (type === 'select') {
      input = h('select', { id, name, ...attrs },
        (attrs.options || []).map(([v, t]) => h('option', { value: v, selected: String(v) === String(value) }, t)));
      input.removeAttribute('options');
    } else if (type === 'date') {
      // German dates (TT.MM.JJJJ) whatever the browser's language; read with fmt.parseDateDe.
      input = h('input', { id, name, type: 'text', inputmode: 'numeric', autocomplete: 'off', placeholder: 'TT.MM.JJJJ', class: 'w-date', ...attrs });
      input.value = value ? dateDe(value) : '';
    } else {
      input = h('input', { id, name, type, ...attrs });
      input.value = value ?? '';
    }
  } else {
    input.id = input.id || id;
  }
  if (required) input.required = true;
  input.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
  input.dataset.field = name;
  const wrap = h('div', { class: `field${wide ? ' wide' : ''}${className ? ` ${className}` : ''}`, dataset: { fieldWrap: name } },
    h('label', { for: input.id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    input,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    h('p', { class: 'error', id: errId, hidden: true }));
  return wrap;
}

export function setFieldError(root, name, message) {
  const input = root.querySelector(`[data-field="${CSS.escape(name)}"]`);
  if (!input) return false;
  const errId = (input.getAttribute('aria-describedby') || '').split(' ').find((x) => x.endsWith('-err'));
  const err = errId ? document.getElementById(errId) : null;
  if (!err) return false;
  err.textContent = message;
  err.hidden = false;
  input.setAttribute('aria-invalid', 'true');
  return true;
}

export function clearErrors(root) {
  root.querySelectorAll('[aria-invalid="true"]').forEach((el) => el.removeAttribute('aria-invalid'));
  root.querySelectorAll('p.error').forEach((el) => { el.textContent = ''; el.hidden = true; });
  root.querySelectorAll('.form-alert').forEach((el) => { clear(el); el.hidden = true; });
}

// German names for details about data outside the form at hand, e.g. a finalization refused
// for characters the PDF cannot print in the customer's or the school's data.
const FIELD_LABELS = {
  number: 'Rechnungsnummer',
  'customer.name': 'Kunde: Name',
  'customer.contact_person': 'Kunde: Ansprechpartner',
  'customer.address.street': 'Kunde: Straße',
  'customer.address.zip': 'Kunde: PLZ',
  'customer.address.city': 'Kunde: Ort',
  'school.name': 'Einstellungen: Name der Hundeschule',
  'school.email': 'Einstellungen: E-Mail',
  'school.phone': 'Einstellungen: Telefon',
  'school.tax_number': 'Einstellungen: Steuernummer',
  'school.vat_id': 'Einstellungen: USt-IdNr.',
  'school.iban': 'Einstellungen: IBAN',
  'school.bic': 'Einstellungen: BIC',
  'school.bank_name': 'Einstellungen: Bank',
  'school.address.street': 'Einstellungen: Straße',
  'school.address.zip': 'Einstellungen: PLZ',
  'school.address.city': 'Einstellungen: Ort',
};

// Shows an ApiError: each detail next to its field, the rest (and the message) in the form's
// alert box. Nothing is swallowed. Focuses the first broken field.
export function showErrors(root, error, extraFieldNames = {}) {
  clearErrors(root);
  const leftovers = [];
  for (const d of error.details || []) {
    const name = extraFieldNames[d.field] || d.field;
    if (!setFieldError(root, name, d.message)) leftovers.push(d);
  }
  const alert = root.querySelector('.form-alert');
  const box = alert || root;
  if (alert) {
    alert.hidden = false;
    append(alert, [h('p', {}, error.message || 'Fehler.'),
      leftovers.length ? h('ul', {}, leftovers.map((d) => h('li', {}, d.field ? `${FIELD_LABELS[d.field] || d.field}: ${d.message}` : d.message))) : null]);
  } else {
    box.prepend(h('div', { class: 'form-alert', role: 'alert' }, error.message));
  }
  const firstBad = root.querySelector('[aria-invalid="true"]');
  if (firstBad) firstBad.focus();
  else if (alert) { alert.setAttribute('tabindex', '-1'); alert.focus(); }
}

export function formAlert() {
  return h('div', { class: 'form-alert', role: 'alert', hidden: true });
}

// Disables a button while `fn` runs and shows a working label.
export async function working(button, label, fn) {
  const old = button.textContent;
  const oldChildren = [...button.childNodes];
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  clear(button);
  append(button, [h('span', { class: 'spinner', 'aria-hidden': 'true' }), label]);
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    clear(button);
    if (oldChildren.length) append(button, oldChildren); else button.textContent = old;
  }
}

export function toast(message, kind = 'ok') {
  const region = document.getElementById('toast-region');
  const t = h('div', { class: `toast toast-${kind}` }, icon(kind === 'ok' ? 'check-circle' : 'alert'), h('span', {}, message));
  region.append(t);
  setTimeout(() => t.remove(), kind === 'ok' ? 4000 : 8000);
}

// A modal confirmation (native <dialog>: focus stays inside, Escape cancels).
export function confirmDialog({ title, body, confirm, cancel = 'Abbrechen', danger = false }) {
  return new Promise((resolve) => {
    const titleId = nextId('dlg');
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title),
      (Array.isArray(body) ? body : [body]).map((p) => h('p', {}, p)),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', value: 'cancel', onclick: () => dlg.close('cancel') }, cancel),
        h('button', { type: 'button', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, value: 'ok', onclick: () => dlg.close('ok') }, confirm)));
    document.body.append(dlg);
    dlg.addEventListener('close', () => { resolve(dlg.returnValue === 'ok'); dlg.remove(); });
    dlg.showModal();
    dlg.querySelector('.btn-primary, .btn-danger').focus();
  });
}

// Pager for offset/limit lists. onPage(newPage) with 1-based pages.
export function pager({ page, limit, total, onPage, label = 'Einträge' }) {
  const pages = Math.max(1, Math.ceil(total / limit));
  const from = total === 0 ? 0 : (page - 1) * limit + 1;
  const to = Math.min(total, page * limit);
  return h('nav', { class: 'pager', 'aria-label': 'Seiten' },
    h('span', { class: 'pager-info' }, total === 0 ? `Keine ${label}` : `${from}–${to} von ${total.toLocaleString('de-DE')} ${label}`),
    h('span', { class: 'pager-buttons' },
      h('button', { type: 'button', class: 'btn btn-small', disabled: page <= 1, onclick: () => onPage(page - 1) }, '‹ Zurück'),
      h('span', { class: 'pager-page' }, `Seite ${page} von ${pages}`),
      h('button', { type: 'button', class: 'btn btn-small', disabled: page >= pages, onclick: () => onPage(page + 1) }, 'Weiter ›')));
}

// Placeholder rows with the final row height so the table does not jump when data arrives.
export function skeletonRows(cols, rows = 8) {
  return Array.from({ length: rows }, () => h('tr', { class: 'skeleton', 'aria-hidden': 'true' },
    Array.from({ length: cols }, () => h('td', {}, h('span', { class: 'skel' })))));
}

// The one row a list shows when a search finds nothing: what was searched, and a way back.
export function noHitsRow(colspan, query, onClear) {
  const reset = h('button', { type: 'button', class: 'btn btn-small' }, 'Suche leeren');
  reset.addEventListener('click', onClear);
  return h('tr', { class: 'no-hits' }, h('td', { colspan, class: 'empty', role: 'status' },
    h('strong', {}, `Keine Treffer für „${query}“.`), ' ',
    'Gesucht wird nach Wortanfängen, Umlaute dürfen als ae, oe, ue geschrieben werden. ', reset));
}

export function debounce(fn, ms = 300) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

export function pageTitle(text) {
  document.title = `${text} – Hundeschule`;
}
