// Zahlungsabgleich (issue 16) in Einstellungen > Erweiterungen > Sevdesk: the interval, the last
// sync with its requests and error, and "Jetzt abgleichen".
import * as api from '../api.js';
import * as fmt from '../format.js';
import { h, clear, icon, toast, showErrors } from '../dom.js';

function lastSyncText(s) {
  const last = s.last_sync;
  if (!last) return 'Noch nicht abgeglichen.';
  const vouchers = `${fmt.integer(last.vouchers)} ${last.vouchers === 1 ? 'Beleg' : 'Belege'}`;
  const requests = `${fmt.integer(last.requests)} ${last.requests === 1 ? 'Anfrage' : 'Anfragen'}`;
  return `Zuletzt abgeglichen am ${fmt.dateTime(last.at)} – ${vouchers}, ${requests}`;
}

// The card; `slot` is replaced by it and re-rendered after every change.
export function paymentSyncCard() {
  const card = h('section', { class: 'card', 'aria-labelledby': 'sd-payment-sync', 'data-testid': 'payment-sync' });
  let state = null;

  function render() {
    const s = state;
    const select = h('select', { id: 'ps-interval', name: 'interval_minutes' },
      ...[...new Set([15, 30, 60, 120, 240, 720, 1440, s.interval_minutes])].sort((a, b) => a - b).map((m) => h('option', { value: String(m), selected: m === s.interval_minutes },
        m % 60 ? `alle ${m} Minuten` : m === 60 ? 'jede Stunde' : m === 1440 ? 'einmal am Tag' : `alle ${m / 60} Stunden`)));
    select.addEventListener('change', async () => {
      try {
        state = await api.put('/integrations/sevdesk/payment-sync', { interval_minutes: Number(select.value) });
        toast('Gespeichert.');
        render();
      } catch (err) {
        showErrors(card, err);
      }
    });
    const run = h('button', { type: 'button', class: 'btn', 'data-testid': 'payment-sync-run', disabled: !s.available || s.requested }, 'Jetzt abgleichen');
    run.addEventListener('click', async () => {
      run.disabled = true;
      try {
        state = await api.post('/integrations/sevdesk/payment-sync/run');
        toast('Der Abgleich läuft. Die Zahlungen erscheinen in wenigen Augenblicken.');
        render();
        setTimeout(refresh, 3000);
      } catch (err) {
        showErrors(card, err);
        run.disabled = false;
      }
    });
    clear(card).append(
      h('h2', { id: 'sd-payment-sync' }, 'Zahlungsabgleich'),
      h('p', {}, 'Holt regelmäßig aus sevdesk, welche übertragenen Rechnungen bezahlt sind, und zeigt in sevdesk gelöschte oder geänderte Belege an.'),
      h('p', { 'data-testid': 'payment-sync-last' }, lastSyncText(s)),
      s.last_sync?.error ? h('p', { class: 'form-alert', role: 'alert', 'data-testid': 'payment-sync-error' }, icon('alert', 'small'), ' ', s.last_sync.error) : null,
      !s.available ? h('p', { class: 'muted' }, 'Der Abgleich läuft, sobald die sevdesk-Verbindung aktiv ist.') : null,
      s.requested ? h('p', { class: 'muted' }, 'Abgleich angefordert …') : null,
      h('div', { class: 'field' }, h('label', { for: 'ps-interval' }, 'Abgleichen'), select),
      run);
  }

  async function refresh() {
    try {
      state = await api.get('/integrations/sevdesk/payment-sync', { quiet: true });
      render();
    } catch (_) { /* the card stays as it was */ }
  }
  refresh();
  return card;
}
