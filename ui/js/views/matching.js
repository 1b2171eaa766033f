// Einstellungen > Erweiterungen > Sevdesk > Kundenabgleich: which existing sevdesk contact is
// which customer. Settings, "Kundenabgleich starten", the review list, "Später" and "Verknüpft".
// Every action answers with the whole state; the page re-renders from it.
import * as api from '../api.js';
import * as fmt from '../format.js';
import { h, append, clear, formAlert, showErrors, clearErrors, working, icon, toast, pageTitle, confirmDialog } from '../dom.js';
import { settingsNav } from './settings.js';

const BASE = '/integrations/sevdesk/matching';
export const MATCHING_HASH = '#/einstellungen/erweiterungen/sevdesk/kundenabgleich';
// Sections with more entries than this start collapsed.
const OPEN_UP_TO = 10;

// Evidence that speaks against the candidate ("andere PLZ", "anderer Name", ...) and evidence
// that is only information ("in sevdesk ohne Anschrift").
const AGAINST = /^(andere|anderer|Kundennummer eines anderen)/;
const NEUTRAL = /ohne Anschrift/;

const plural = (n, one, many) => `${fmt.integer(n)} ${n === 1 ? one : many}`;

function introCard() {
  return h('section', { class: 'card help', 'aria-labelledby': 'km-intro' },
    h('h2', { id: 'km-intro' }, icon('info'), 'Was der Kundenabgleich macht'),
    h('p', {}, 'Viele Ihrer Kunden gibt es in sevdesk schon als Kontakt. Der Kundenabgleich liest Ihre sevdesk-Kontakte ' +
      'und sucht zu jedem Kunden den passenden Kontakt, damit Belege beim richtigen Kontakt landen und keine doppelten Kontakte entstehen.'),
    h('ul', {},
      h('li', {}, 'Eindeutige Treffer (z. B. gleicher Name und gleiche E-Mail-Adresse) werden automatisch verknüpft – sofern Sie das unten erlauben.'),
      h('li', {}, 'Alles, was nicht eindeutig ist, landet in der Liste „Zu prüfen“. Sie entscheiden: verknüpfen, neu anlegen oder später.'),
      h('li', {}, 'Niemand wird mit einer falschen Person verknüpft: Im Zweifel fragt die Hundeschul-Verwaltung Sie.'),
      h('li', {}, 'In sevdesk wird ohne Ihre Zustimmung nichts geändert.')));
}

function checkboxField({ id, name, checked, label, hint, disabled }) {
  const hintId = `${id}-hint`;
  return h('div', { class: 'field checkbox-field' },
    h('label', { class: 'checkbox', for: id },
      h('input', { type: 'checkbox', id, name, 'data-field': name, checked, disabled, 'aria-describedby': hintId }),
      h('span', {}, label)),
    h('p', { class: 'hint', id: hintId }, hint));
}

function updateContactsField(value, disabled) {
  const option = (v, title, sub) => h('label', { class: 'radio' },
    h('input', { type: 'radio', name: 'update_contacts', value: v, checked: value === (v === 'ja'), disabled, 'data-field': v === 'ja' ? 'update_contacts' : null }),
    h('span', {}, h('strong', {}, title), h('span', { class: 'sub' }, sub)));
  return h('fieldset', { class: 'field radio-group' },
    h('legend', {}, 'Kontaktdaten in sevdesk aktualisieren'),
    option('ja', 'Ja', 'Anschrift und E-Mail-Adresse eines verknüpften Kontakts werden an die Kundendaten angeglichen.'),
    option('nein', 'Nein', 'Verknüpfte Kontakte in sevdesk bleiben unverändert.'));
}

function settingsForm(settings, canDecide, onSave) {
  const disabled = !canDecide;
  const save = h('button', { type: 'submit', class: 'btn btn-primary', disabled }, 'Einstellungen speichern');
  const form = h('form', { class: 'card form', novalidate: true, 'aria-labelledby': 'km-settings', 'data-testid': 'matching-settings' },
    h('h2', { id: 'km-settings', tabindex: '-1' }, 'Einstellungen'),
    checkboxField({
      id: 'km-auto-link', name: 'auto_link', checked: settings.auto_link, disabled,
      label: 'Eindeutige Treffer automatisch verknüpfen',
      hint: 'Nur wenn genau ein Kontakt eindeutig passt und kein anderer in Frage kommt. Alles andere legt der Abgleich Ihnen vor.',
    }),
    checkboxField({
      id: 'km-create', name: 'create_without_asking', checked: settings.create_without_asking, disabled,
      label: 'Neue Kontakte ohne Rückfrage anlegen',
      hint: 'Belege warten dann nie auf den Kundenabgleich: Für offene Kunden wird beim Übertragen ein neuer Kontakt angelegt. ' +
        'In sevdesk können so aber doppelte Kontakte entstehen.',
    }),
    updateContactsField(settings.update_contacts, disabled),
    h('div', { class: 'form-actions' }, save));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = {
      auto_link: form.querySelector('#km-auto-link').checked,
      create_without_asking: form.querySelector('#km-create').checked,
      update_contacts: form.querySelector('input[name="update_contacts"]:checked')?.value === 'ja',
    };
    working(save, 'Speichern …', () => onSave(body));
  });
  return form;
}

function lastRunFacts(run) {
  if (!run) return h('p', { class: 'muted', 'data-testid': 'last-run' }, 'Der Kundenabgleich ist noch nicht gelaufen.');
  const fact = (label, value, key) => h('div', { 'data-fact': key }, h('dt', {}, label), h('dd', {}, value));
  return h('dl', { class: 'facts', 'data-testid': 'last-run' },
    fact('Letzter Abgleich', fmt.dateTime(run.at), 'at'),
    fact('Kontakte aus sevdesk gelesen', fmt.integer(run.contacts), 'contacts'),
    fact('Automatisch verknüpft', fmt.integer(run.auto_linked), 'auto_linked'),
    fact('Offen (zu prüfen)', fmt.integer(run.review), 'review'));
}

function runCard(data, canDecide, onRun) {
  const btn = h('button', { type: 'button', class: 'btn btn-primary', disabled: !canDecide, 'data-testid': 'run-matching' },
    icon('sync'), 'Kundenabgleich starten');
  btn.addEventListener('click', () => working(btn, 'Abgleich läuft …', onRun));
  return h('section', { class: 'card', 'aria-labelledby': 'km-run', 'data-testid': 'matching-run' },
    h('h2', { id: 'km-run' }, 'Abgleich'),
    h('p', {}, 'Liest alle Kontakte aus sevdesk und gleicht jeden Kunden ohne Verknüpfung ab. Das kann bei vielen Kontakten eine Weile dauern.'),
    lastRunFacts(data.last_run),
    h('div', { class: 'form-actions' }, btn));
}

function evidenceBadges(evidence, strong) {
  if (!evidence?.length) return null;
  return h('ul', { class: 'evidence', 'aria-label': 'Hinweise' }, evidence.map((text) => {
    const kind = AGAINST.test(text) ? 'ev-against' : strong && !NEUTRAL.test(text) ? 'ev-strong' : 'ev-plain';
    return h('li', { class: `badge ev ${kind}` }, text);
  }));
}

function contactFacts(c) {
  return [
    h('span', { class: 'cand-name' }, c.name || '(ohne Namen)'),
    c.strong ? h('span', { class: 'pill pill-ok cand-strong' }, icon('check-circle', 'small'), 'starker Treffer') : null,
    h('span', { class: 'cand-meta' },
      c.customer_number ? h('span', {}, `Kd.-Nr. in sevdesk: ${c.customer_number}`) : null,
      h('span', {}, c.address || 'ohne Anschrift'),
      c.emails?.length ? h('span', {}, c.emails.join(', ')) : null),
  ];
}

function candidateRow(c, act) {
  const link = act && h('button', { type: 'button', class: 'btn btn-small btn-primary' }, 'Verknüpfen',
    h('span', { class: 'sr-only' }, ` mit ${c.name || 'diesem Kontakt'}`));
  link?.addEventListener('click', () => act(link, 'link', { contact_id: c.contact_id }, 'Verknüpft.'));
  return h('li', { class: `candidate${c.strong ? ' strong' : ''}`, 'data-contact-id': c.contact_id, 'data-testid': 'candidate' },
    h('div', { class: 'cand-body' }, contactFacts(c), evidenceBadges(c.evidence, c.strong)),
    link ? h('div', { class: 'cand-actions' }, link) : null);
}

function customerHead(item) {
  const c = item.customer;
  const waiting = item.waiting_receipts > 0
    ? h('span', { class: 'pill pill-warn', 'data-testid': 'waiting-receipts' }, icon('pause', 'small'),
      `${plural(item.waiting_receipts, 'Beleg wartet', 'Belege warten')}`)
    : null;
  return h('div', { class: 'match-head' },
    h('h3', {}, h('a', { href: `#/kunden/${c.id}` }, c.name), h('span', { class: 'muted small' }, ` Kd.-Nr. ${c.number}`)),
    waiting,
    h('p', { class: 'match-meta' },
      h('span', {}, c.address || 'ohne Anschrift'),
      c.email ? h('span', {}, c.email) : null));
}

function openItemActions(item, act) {
  const create = h('button', { type: 'button', class: 'btn btn-small' }, icon('plus', 'small'), 'Neu in sevdesk anlegen');
  create.addEventListener('click', () => act(create, 'create', undefined, 'Neuer Kontakt in sevdesk angelegt.'));
  const later = item.state === 'review' ? h('button', { type: 'button', class: 'btn btn-small btn-ghost' }, icon('clock', 'small'), 'Später') : null;
  later?.addEventListener('click', () => act(later, 'later', undefined, 'Für später zurückgelegt.'));
  return h('div', { class: 'match-actions' }, create, later);
}

function candidatesTitle(n) {
  if (n === 0) return 'Keine passenden Kontakte in sevdesk.';
  if (n === 1) return '1 möglicher Kontakt in sevdesk:';
  return `${fmt.integer(n)} mögliche Kontakte in sevdesk, der wahrscheinlichste zuerst:`;
}

function openItem(item, act) {
  const n = item.candidates.length;
  return h('article', { class: 'card match-item', 'data-testid': 'match-item', 'data-customer-id': item.customer.id, 'data-state': item.state },
    customerHead(item),
    h('p', { class: 'cand-title' }, candidatesTitle(item.candidates.length)),
    n ? h('ol', { class: 'candidates' }, item.candidates.map((c) => candidateRow(c, act))) : null,
    act ? openItemActions(item, act) : null);
}

function linkedItem(item, act, onUnlink) {
  const contact = item.candidates.find((c) => c.contact_id === item.linked_contact_id);
  const unlink = act ? h('button', { type: 'button', class: 'btn btn-small btn-danger-text' }, icon('x', 'small'), 'Verknüpfung lösen') : null;
  unlink?.addEventListener('click', () => onUnlink(unlink, item));
  return h('article', { class: 'card match-item linked', 'data-testid': 'match-item', 'data-customer-id': item.customer.id, 'data-state': item.state },
    customerHead(item),
    h('p', { class: 'linked-to' }, icon('check-circle', 'small'), ' ',
      item.decided_by === 'auto' ? 'Automatisch verknüpft mit ' : 'Von Ihnen verknüpft mit ',
      contact ? h('strong', {}, contact.name) : `sevdesk-Kontakt ${item.linked_contact_id}`,
      contact?.customer_number ? ` (Kd.-Nr. in sevdesk: ${contact.customer_number})` : null),
    contact ? h('p', { class: 'match-meta' }, h('span', {}, contact.address || 'ohne Anschrift'),
      contact.emails?.length ? h('span', {}, contact.emails.join(', ')) : null) : null,
    contact ? evidenceBadges(contact.evidence, contact.strong) : null,
    unlink ? h('div', { class: 'match-actions' }, unlink) : null);
}

// A titled list; long lists start collapsed (the open state survives re-rendering).
function section({ key, title, count, items, intro, extra, collapsible, openState }) {
  const id = `km-${key}`;
  const heading = h('h2', { id, tabindex: '-1' }, title, h('span', { class: 'pill pill-off', 'data-testid': `count-${key}` }, fmt.integer(count)));
  const body = [intro, extra, items.length ? items : h('p', { class: 'muted empty-note' }, 'Keine Einträge.')];
  if (!collapsible) {
    return h('section', { class: 'match-section', 'aria-labelledby': id, 'data-testid': `match-${key}` }, h('div', { class: 'section-head' }, heading), body);
  }
  const details = h('details', { class: 'match-section', open: openState[key] ?? count <= OPEN_UP_TO, 'data-testid': `match-${key}` },
    h('summary', {}, heading), body);
  details.addEventListener('toggle', () => { openState[key] = details.open; });
  return details;
}

function bulkButton(count, onBulk) {
  if (!onBulk || count <= 0) return null;
  const btn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'accept-unambiguous' },
    icon('check-circle'), `Alle eindeutigen übernehmen (${fmt.integer(count)})`);
  btn.addEventListener('click', () => onBulk(btn));
  return h('div', { class: 'form-actions' }, btn,
    h('p', { class: 'hint' }, count === 1 ? 'Verknüpft den Kunden, zu dem genau ein Kontakt eindeutig passt.'
      : `Verknüpft alle ${fmt.integer(count)} Kunden, zu denen jeweils genau ein Kontakt eindeutig passt.`));
}

function pageFrame(canDecide, slots) {
  return [
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Einstellungen')),
    settingsNav('erweiterungen'),
    h('nav', { class: 'breadcrumb', 'aria-label': 'Brotkrumen' },
      h('a', { href: '#/einstellungen/erweiterungen' }, 'Erweiterungen'), ' › ',
      h('a', { href: '#/einstellungen/erweiterungen/sevdesk' }, 'Sevdesk'), ' › ', 'Kundenabgleich'),
    h('h2', { class: 'page-sub' }, 'Kundenabgleich'),
    canDecide ? null : h('p', { class: 'note' }, icon('info', 'small'), ' Entscheidungen und Einstellungen sind dem Inhaber-Zugang vorbehalten.'),
    slots.alert,
    h('div', { class: 'two-col' }, h('div', {}, slots.run, slots.settings), introCard()),
    slots.lists,
  ];
}

// The three lists; `on` holds the actions (null for staff: no buttons).
function listSections(data, openState, on) {
  const by = (state) => data.items.filter((i) => i.state === state);
  const counts = data.counts || {};
  return [
    section({
      key: 'review', title: 'Zu prüfen', count: counts.review ?? by('review').length, openState,
      intro: h('p', { class: 'muted' }, 'Zu diesen Kunden gibt es in sevdesk Kontakte, die passen könnten. Wählen Sie den richtigen aus, legen Sie einen neuen an oder entscheiden Sie später.'),
      extra: on ? bulkButton(counts.unambiguous ?? 0, on.bulk) : null,
      items: by('review').map((i) => openItem(i, on?.act)),
    }),
    section({
      key: 'later', title: 'Später', count: counts.later ?? by('later').length, collapsible: true, openState,
      items: by('later').map((i) => openItem(i, on?.act)),
    }),
    section({
      key: 'linked', title: 'Verknüpft', count: counts.linked ?? by('linked').length, collapsible: true, openState,
      intro: h('p', { class: 'muted' }, 'Diese Kunden sind mit einem vorhandenen sevdesk-Kontakt verknüpft. Belege gehen an diesen Kontakt.'),
      items: by('linked').map((i) => linkedItem(i, on?.act, on?.unlink)),
    }),
  ];
}

function confirmUnlink(item) {
  return confirmDialog({
    title: 'Verknüpfung lösen?',
    body: [`${item.customer.name} ist dann nicht mehr mit dem sevdesk-Kontakt verknüpft und kommt zurück in die Liste „Zu prüfen“.`,
      'Belege, die schon übertragen sind, bleiben in sevdesk beim bisherigen Kontakt. Am Kontakt in sevdesk wird nichts geändert.'],
    confirm: 'Verknüpfung lösen', danger: true,
  });
}

function showFailure(alertWrap, err) {
  showErrors(alertWrap, err);
  if (err.code === 'sevdesk_not_connected' || err.code === 'sevdesk_token_refused') {
    alertWrap.querySelector('.form-alert').append(h('p', {}, h('a', { href: '#/einstellungen/erweiterungen/sevdesk' }, 'Zur Sevdesk-Konfiguration')));
  }
}

export async function renderMatching(main, ctx) {
  pageTitle('Einstellungen – Kundenabgleich');
  let data = await api.get(BASE);
  if (!ctx.alive()) return;
  const canDecide = ctx.session.user?.role !== 'staff';
  const openState = {};
  const slots = { alert: h('div', { class: 'km-alert' }, formAlert()), run: h('div'), settings: h('div'), lists: h('div', { class: 'km-lists' }) };
  append(main, pageFrame(canDecide, slots));

  // Runs one call that answers with the whole state and re-renders; a conflict reloads the list.
  async function call(fn, done) {
    clearErrors(slots.alert);
    try {
      data = await fn();
    } catch (err) {
      showFailure(slots.alert, err);
      if ([404, 409, 422].includes(err.status)) await reload();
      return false;
    }
    if (!ctx.alive()) return false;
    renderAll();
    if (done) toast(done);
    return true;
  }
  async function reload() {
    try { data = await api.get(BASE); } catch { return; }
    if (ctx.alive()) renderAll();
  }

  const act = (btn, action, body, done) => working(btn, 'Bitte warten …', async () => {
    const customerId = btn.closest('[data-customer-id]').dataset.customerId;
    if (await call(() => api.post(`${BASE}/${customerId}/${action}`, body), done)) slots.lists.querySelector('#km-review')?.focus();
  });
  const on = canDecide ? {
    act,
    async unlink(btn, item) {
      if (await confirmUnlink(item)) await act(btn, 'unlink', undefined, 'Verknüpfung gelöst.');
      else btn.focus();
    },
    bulk: (btn) => working(btn, 'Wird übernommen …', async () => {
      if (await call(() => api.post(`${BASE}/accept-unambiguous`))) toast(`${plural(data.accepted ?? 0, 'Kunde', 'Kunden')} verknüpft.`);
    }),
  } : null;

  async function onRun() {
    if (await call(() => api.post(`${BASE}/run`)) && data.last_run) {
      toast(`Abgleich fertig: ${fmt.integer(data.last_run.auto_linked)} automatisch verknüpft, ${fmt.integer(data.last_run.review)} zu prüfen.`);
    }
  }
  // The server answers with the whole state (or, as first specified, the settings alone).
  async function onSave(body) {
    const saved = await call(() => api.put(`${BASE}/settings`, body)
      .then((r) => (r && r.settings ? r : { ...data, settings: r })), 'Einstellungen gespeichert.');
    if (saved) slots.settings.querySelector('h2')?.focus();
  }

  function renderAll() {
    clear(slots.run).append(runCard(data, canDecide, onRun));
    clear(slots.settings).append(settingsForm(data.settings, canDecide, onSave));
    append(clear(slots.lists), listSections(data, openState, on));
  }

  renderAll();
  main.querySelector('h1').focus();
}
