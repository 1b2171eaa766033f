// Einstellungen > Erweiterungen > Sevdesk: token, "Verbindung testen", "Aktiv", help text.
import * as api from '../api.js';
import * as fmt from '../format.js';
import { h, append, clear, field, formAlert, showErrors, clearErrors, setFieldError, working, icon, toast, pageTitle } from '../dom.js';
import { settingsNav } from './settings.js';
import { MATCHING_HASH } from './matching.js';
import { paymentSyncCard } from './payment_sync.js';

function stateOf(conn) {
  if (conn.state === 'paused') return { cls: 'warn', icon: 'pause', text: 'unterbrochen' };
  if (conn.enabled) return { cls: 'ok', icon: 'check-circle', text: 'aktiv' };
  if (conn.has_token) return { cls: 'off', icon: 'circle-dashed', text: 'eingerichtet, nicht aktiv' };
  return { cls: 'off', icon: 'circle-dashed', text: 'nicht eingerichtet' };
}

function testResultBox(result) {
  if (!result) return null;
  return h('div', {
    class: `test-result ${result.ok ? 'test-ok' : 'test-failed'}`,
    role: result.ok ? 'status' : 'alert',
    'data-testid': 'test-result',
    'data-outcome': result.outcome || '',
  },
  icon(result.ok ? 'check-circle' : 'alert'),
  h('div', {},
    h('strong', {}, result.ok ? 'Verbindung erfolgreich getestet' : 'Verbindungstest fehlgeschlagen'),
    h('p', {}, result.message),
    result.at ? h('p', { class: 'muted small' }, `Getestet am ${fmt.dateTime(result.at)}`) : null));
}

function helpCard() {
  return h('section', { class: 'card help', 'aria-labelledby': 'sd-help' },
    h('h2', { id: 'sd-help' }, icon('info'), 'So finden Sie Ihren API-Token'),
    h('ol', {},
      h('li', {}, 'Melden Sie sich bei sevdesk an.'),
      h('li', {}, 'Öffnen Sie ', h('strong', {}, 'Verwalten > Erweiterungen > API'), '.'),
      h('li', {}, 'Geben Sie Ihr sevdesk-Passwort erneut ein. Danach zeigt sevdesk den API-Token an.'),
      h('li', {}, 'Kopieren Sie den Token und fügen Sie ihn hier bei „API-Token“ ein.'),
      h('li', {}, 'Klicken Sie auf „Verbindung testen“. Nach einem erfolgreichen Test „Aktiv“ ankreuzen und speichern.')),
    h('p', { class: 'note' }, 'Für die Übertragung per API ist in sevdesk mindestens der Tarif ', h('strong', {}, 'Buchhaltung Pro'), ' nötig.'),
    h('p', { class: 'muted' }, 'Übertragen werden festgeschriebene Rechnungen und Stornorechnungen als Einnahmebelege mit PDF. ' +
      'Ältere Belege übertragen Sie unter „Belege“ mit „Aktionen → Zu Sevdesk übertragen“.'));
}

// The way to the Kundenabgleich; the number of open decisions arrives later (a missing route or
// an error just leaves it out).
function matchingCard() {
  const count = h('p', { class: 'muted', 'data-testid': 'matching-open', hidden: true });
  api.get('/integrations/sevdesk/matching', { quiet: true }).then((m) => {
    const open = m?.counts?.review ?? 0;
    count.textContent = open ? `${fmt.integer(open)} ${open === 1 ? 'Kunde wartet' : 'Kunden warten'} auf Ihre Entscheidung.` : 'Keine offenen Entscheidungen.';
    count.hidden = false;
  }).catch(() => {});
  return h('section', { class: 'card', 'aria-labelledby': 'sd-matching' },
    h('h2', { id: 'sd-matching' }, 'Kundenabgleich'),
    h('p', {}, 'Verknüpft Ihre Kunden mit den Kontakten, die es in sevdesk schon gibt, damit keine doppelten Kontakte entstehen.'),
    count,
    h('a', { class: 'btn', href: MATCHING_HASH, 'data-testid': 'open-matching' }, 'Kundenabgleich öffnen'));
}

// ---- "Zahlungskonto für Barzahlungen" (issue 16): where payments recorded here are booked.
function paymentAccountCard(ctx) {
  const card = h('section', { class: 'card', 'aria-labelledby': 'sd-payment-account', 'data-testid': 'payment-account' },
    h('h2', { id: 'sd-payment-account' }, 'Zahlungskonto für Barzahlungen'));
  const body = h('div', {}, h('p', { class: 'note' }, 'Zahlungskonten werden aus sevdesk gelesen …'));
  card.append(body);
  const render = (view) => {
    const alert = formAlert();
    const options = [['', 'Keines – Zahlungen nur hier erfassen'],
      ...view.accounts.map((a) => [a.id, `${a.name} (${a.type === 'register' ? 'Kasse' : 'Offline-Konto'})`])];
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Speichern');
    const form = h('form', { novalidate: true },
      alert,
      h('p', { class: 'note' }, 'Mit „Zahlung erfassen“ erfasste Zahlungen (bar, EC-Karte, Überweisung) werden in sevdesk auf diesem Konto gebucht. Bankkonten mit Kontoabruf stehen nicht zur Wahl: dort bucht der Bankabgleich in sevdesk die Zahlungen selbst.'),
      field({ label: 'Zahlungskonto', name: 'payment_account_id', type: 'select', value: view.payment_account_id || '', attrs: { options } }),
      view.message ? h('p', { class: 'note', 'data-testid': 'payment-account-message' }, view.message) : null,
      h('div', { class: 'form-actions' }, save));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      await working(save, 'Speichern …', async () => {
        try {
          const id = form.elements.payment_account_id.value;
          const next = await api.put('/integrations/sevdesk/payment-account', { payment_account_id: id || null });
          toast(next.payment_account_id ? `Zahlungen werden auf „${next.payment_account_name}“ gebucht.` : 'Zahlungen werden nur hier erfasst.');
          if (ctx.alive()) render(next);
        } catch (err) {
          showErrors(form, err);
        }
      });
    });
    clear(body).append(form);
  };
  api.get('/integrations/sevdesk/payment-account')
    .then((view) => { if (ctx.alive()) render(view); })
    .catch((err) => clear(body).append(h('div', { class: 'form-alert', role: 'alert' }, err.message)));
  return card;
}

export async function renderSevdesk(main, ctx) {
  pageTitle('Einstellungen – Sevdesk');
  let conn = await api.get('/integrations/sevdesk');
  if (!ctx.alive()) return;
  let editing = false;
  // The last test result: from this page's "Verbindung testen" or the stored one.
  let lastTest = conn.last_test ? { ...conn.last_test } : null;

  const statusSlot = h('div', { class: 'sd-status-slot' });
  const configSlot = h('section', { class: 'card', 'aria-labelledby': 'sd-config' });
  main.append(
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Einstellungen')),
    settingsNav('erweiterungen'),
    h('nav', { class: 'breadcrumb', 'aria-label': 'Brotkrumen' },
      h('a', { href: '#/einstellungen/erweiterungen' }, 'Erweiterungen'), ' › ', 'Sevdesk'),
    h('div', { class: 'two-col' },
      h('div', {}, statusSlot, configSlot, conn.has_token ? paymentAccountCard(ctx) : null,
        conn.has_token ? matchingCard() : null, conn.has_token ? paymentSyncCard() : null),
      helpCard()));

  function renderStatus() {
    const st = stateOf(conn);
    clear(statusSlot).append(h('div', { class: 'card sd-status' },
      h('div', { class: 'tile-head' }, h('span', { class: 'tile-logo', 'aria-hidden': 'true' }, 'sd'),
        h('h2', {}, 'Sevdesk'),
        h('span', { class: `pill pill-${st.cls}`, 'data-testid': 'connection-state' }, icon(st.icon, 'small'), st.text)),
      conn.state === 'paused' ? h('p', { class: 'form-alert' }, icon('alert', 'small'), ' ',
        conn.paused_reason || 'sevdesk hat den Token abgelehnt. Bitte einen neuen Token eintragen und „Verbindung testen“.') : null,
      conn.sevdesk_user ? h('p', { class: 'muted' }, `sevdesk-Benutzer: ${conn.sevdesk_user}`) : null));
  }

  function renderView() {
    append(clear(configSlot), [
      h('div', { class: 'card-head' },
        h('h2', { id: 'sd-config' }, 'Konfiguration'),
        h('button', {
          type: 'button', class: 'btn btn-ghost btn-icon', id: 'sd-edit', 'aria-label': 'Konfiguration bearbeiten', title: 'Bearbeiten',
          onclick: () => { editing = true; renderEdit(); },
        }, icon('pencil'))),
      h('dl', { class: 'facts' },
        h('div', {}, h('dt', {}, 'API-Token'), h('dd', { 'data-testid': 'token-masked' }, conn.has_token ? conn.api_token : 'nicht hinterlegt')),
        h('div', {}, h('dt', {}, 'Aktiv'), h('dd', {}, conn.enabled ? 'ja – neue Rechnungen werden automatisch übertragen' : 'nein')),
        conn.transfer_start_date ? h('div', {}, h('dt', {}, 'Übertragen ab'), h('dd', {}, fmt.date(conn.transfer_start_date))) : null),
      testResultBox(lastTest)]);
  }

  function renderEdit() {
    const alert = formAlert();
    const tokenField = field({
      label: 'API-Token', name: 'api_token', type: 'password',
      hint: conn.has_token ? `Gespeichert: ${conn.api_token}. Leer lassen, um den gespeicherten Token zu behalten.` : 'Aus sevdesk kopieren und hier einfügen.',
      attrs: { autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', id: 'sd-token', placeholder: conn.has_token ? conn.api_token : '' },
    });
    const tokenInput = tokenField.querySelector('input');
    const showToggle = h('button', {
      type: 'button', class: 'btn btn-ghost btn-small', 'aria-pressed': 'false', 'aria-controls': 'sd-token',
      onclick: () => {
        const show = tokenInput.type === 'password';
        tokenInput.type = show ? 'text' : 'password';
        showToggle.setAttribute('aria-pressed', String(show));
        showToggle.lastChild.textContent = show ? 'Token verbergen' : 'Token anzeigen';
      },
    }, icon('eye', 'small'), h('span', {}, 'Token anzeigen'));
    tokenField.querySelector('label').after(h('div', { class: 'input-row' }, tokenInput, showToggle));

    const activeHintId = 'sd-active-hint';
    const active = h('input', { type: 'checkbox', id: 'sd-active', 'data-field': 'enabled', checked: conn.enabled, 'aria-describedby': `${activeHintId} sd-active-err` });
    const activeHint = h('p', { class: 'hint', id: activeHintId });
    const activeErr = h('p', { class: 'error', id: 'sd-active-err', hidden: true });
    const resultSlot = h('div', { 'aria-live': 'polite' }, testResultBox(lastTest));
    const startField = field({
      label: 'Übertragen ab (optional)', name: 'transfer_start_date', type: 'date', value: conn.transfer_start_date || '',
      hint: 'Rechnungen mit einem früheren Datum werden nicht automatisch übertragen.',
    });

    const testedOk = () => !!lastTest && lastTest.ok && tokenInput.value.trim() === '';
    function syncActiveHint() {
      activeHint.textContent = conn.enabled || testedOk()
        ? 'Festgeschriebene Rechnungen werden automatisch an sevdesk übertragen.'
        : 'Aktivieren geht erst nach einem erfolgreichen „Verbindung testen“.';
    }
    syncActiveHint();
    tokenInput.addEventListener('input', syncActiveHint);
    active.addEventListener('click', (e) => {
      activeErr.hidden = true;
      active.removeAttribute('aria-invalid');
      if (active.checked && !conn.enabled && !testedOk()) {
        e.preventDefault();
        activeErr.textContent = tokenInput.value.trim()
          ? 'Bitte zuerst den neuen Token mit „Verbindung testen“ prüfen. Aktivieren geht erst nach einem erfolgreichen Test.'
          : 'Bitte zuerst „Verbindung testen“. Aktivieren geht erst nach einem erfolgreichen Test, damit keine Rechnung mit einem falschen Token verloren geht.';
        activeErr.hidden = false;
        active.setAttribute('aria-invalid', 'true');
      }
    });

    const testBtn = h('button', { type: 'button', class: 'btn', id: 'sd-test' }, icon('sync'), 'Verbindung testen');
    const saveBtn = h('button', { type: 'submit', class: 'btn btn-primary', id: 'sd-save' }, 'Speichern');
    const cancelBtn = h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => { editing = false; renderView(); configSlot.querySelector('#sd-edit').focus(); } }, 'Abbrechen');
    const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'sevdesk-form' },
      h('div', { class: 'card-head' }, h('h2', { id: 'sd-config' }, 'Konfiguration bearbeiten')),
      alert,
      tokenField,
      h('div', { class: 'field checkbox-field' },
        h('label', { class: 'checkbox', for: 'sd-active' }, active, h('span', {}, 'Aktiv')),
        activeHint, activeErr),
      startField,
      h('div', { class: 'form-actions' }, testBtn, saveBtn, cancelBtn),
      resultSlot);

    async function saveToken() {
      const token = tokenInput.value.trim();
      if (!token) return true;
      try {
        conn = await api.put('/integrations/sevdesk', { api_token: token });
        tokenInput.value = '';
        tokenInput.placeholder = conn.api_token || '';
        const hint = tokenField.querySelector('.hint');
        if (hint) hint.textContent = `Gespeichert: ${conn.api_token}. Leer lassen, um den gespeicherten Token zu behalten.`;
        lastTest = null;
        renderStatus();
        return true;
      } catch (err) {
        showErrors(form, err);
        return false;
      }
    }

    testBtn.addEventListener('click', () => working(testBtn, 'Verbindung wird getestet …', async () => {
      clearErrors(form);
      if (!tokenInput.value.trim() && !conn.has_token) {
        setFieldError(form, 'api_token', 'Bitte zuerst den API-Token aus sevdesk einfügen.');
        tokenInput.focus();
        return;
      }
      if (!(await saveToken())) return;
      try {
        const r = await api.post('/integrations/sevdesk/test');
        lastTest = { ok: r.ok, outcome: r.outcome, message: r.message, at: new Date().toISOString() };
        conn = await api.get('/integrations/sevdesk');
        renderStatus();
        clear(resultSlot).append(testResultBox(lastTest));
        if (!r.ok && r.outcome === 'token_invalid') setFieldError(form, 'api_token', 'sevdesk kennt diesen Token nicht.');
        syncActiveHint();
        ctx.refreshBanner();
      } catch (err) {
        showErrors(form, err);
      }
    }));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      activeErr.hidden = true;
      await working(saveBtn, 'Speichern …', async () => {
        if (tokenInput.value.trim() && active.checked && !conn.enabled) {
          activeErr.textContent = 'Bitte zuerst den neuen Token mit „Verbindung testen“ prüfen.';
          activeErr.hidden = false;
          return;
        }
        if (!(await saveToken())) return;
        const body = { enabled: active.checked };
        const start = fmt.parseDateDe(form.querySelector('[data-field="transfer_start_date"]').value);
        if (start === null) { setFieldError(form, 'transfer_start_date', fmt.DATE_HINT); return; }
        body.transfer_start_date = start || null;
        try {
          conn = await api.put('/integrations/sevdesk', body);
          editing = false;
          renderStatus();
          renderView();
          toast(conn.enabled ? 'Sevdesk ist aktiv.' : 'Gespeichert.');
          ctx.refreshBanner();
          configSlot.querySelector('#sd-edit').focus();
        } catch (err) {
          if (err.details?.some((d) => d.field === 'enabled')) {
            activeErr.textContent = err.message;
            activeErr.hidden = false;
            active.checked = false;
          }
          showErrors(form, err);
        }
      });
    });
    clear(configSlot).append(form);
    tokenInput.focus();
  }

  renderStatus();
  if (ctx.query.get('bearbeiten')) { editing = true; renderEdit(); } else renderView();
  if (!editing) main.querySelector('h1').focus();
}
