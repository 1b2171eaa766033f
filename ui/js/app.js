// Shell: session, header, hash routing, the sevdesk banner.
import * as api from './api.js';
import { h, clear, icon, pageTitle } from './dom.js';
import { renderLogin } from './views/login.js';
import { renderCustomers, renderCustomerForm } from './views/customers.js';
import { renderInvoices, renderInvoiceEditor } from './views/invoices.js';
import { renderReceipts, renderReceiptDetail } from './views/receipts.js';
import { renderSchoolSettings, renderExtensions } from './views/settings.js';
import { renderSevdesk } from './views/sevdesk.js';
import { renderMatching } from './views/matching.js';

const session = { user: null, school: null };
let renderSeq = 0;
let bannerTimer = null;

const routes = [
  [/^\/kunden$/, renderCustomers, 'kunden'],
  [/^\/kunden\/(neu|\d+)$/, renderCustomerForm, 'kunden'],
  [/^\/rechnungen$/, renderInvoices, 'rechnungen'],
  [/^\/rechnungen\/(neu|\d+)$/, renderInvoiceEditor, 'rechnungen'],
  [/^\/belege$/, renderReceipts, 'belege'],
  [/^\/belege\/(\d+)$/, renderReceiptDetail, 'belege'],
  [/^\/einstellungen\/schule$/, renderSchoolSettings, 'einstellungen'],
  [/^\/einstellungen\/erweiterungen$/, renderExtensions, 'einstellungen'],
  [/^\/einstellungen\/erweiterungen\/sevdesk$/, renderSevdesk, 'einstellungen'],
  [/^\/einstellungen\/erweiterungen\/sevdesk\/kundenabgleich$/, renderMatching, 'einstellungen'],
];

const navItems = [
  ['kunden', '#/kunden', 'Kunden'],
  ['rechnungen', '#/rechnungen', 'Rechnungen'],
  ['belege', '#/belege', 'Belege'],
  ['einstellungen', '#/einstellungen/schule', 'Einstellungen'],
];

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs = ''] = raw.split('?');
  return { path: path || '/', query: new URLSearchParams(qs) };
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// Changes the query of the current hash without a new render (filters, paging).
export function replaceQuery(params) {
  const { path } = parseHash();
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, v);
  const s = q.toString();
  history.replaceState(null, '', `#${path}${s ? `?${s}` : ''}`);
}

function renderHeader(section) {
  const header = document.getElementById('app-header');
  header.hidden = !session.user;
  if (!session.user) return;
  clear(header);
  header.append(
    h('div', { class: 'header-inner' },
      h('a', { class: 'brand', href: '#/rechnungen' }, icon('paw', 'brand-icon'),
        h('span', { class: 'brand-name', 'data-testid': 'school-name' }, session.school?.name || 'Hundeschule')),
      h('nav', { class: 'main-nav', 'aria-label': 'Hauptnavigation' },
        h('ul', {}, navItems.map(([key, href, label]) => h('li', {},
          h('a', { href, 'aria-current': key === section ? 'page' : null }, label))))),
      h('button', { type: 'button', class: 'btn btn-ghost logout', onclick: logout },
        icon('logout'), h('span', {}, 'Abmelden'))));
}

async function logout() {
  try { await api.del('/session'); } catch { /* the session is gone either way */ }
  session.user = null;
  api.setCsrf('');
  renderBanner(null);
  location.hash = '#/anmeldung';
}

function renderBanner(conn) {
  const slot = document.getElementById('banner-slot');
  const paused = conn && conn.state === 'paused';
  const existing = slot.querySelector('.banner');
  if (!paused) { if (existing) clear(slot); return; }
  if (existing) return;
  slot.append(h('div', { class: 'banner banner-warn', role: 'alert', 'data-testid': 'sevdesk-banner' },
    icon('alert'),
    h('span', {}, 'Sevdesk-Verbindung unterbrochen – bitte Token prüfen'),
    conn.paused_reason ? h('span', { class: 'banner-detail' }, conn.paused_reason) : null,
    h('a', { href: '#/einstellungen/erweiterungen/sevdesk?bearbeiten=1' }, 'Zur Sevdesk-Konfiguration')));
}

export async function refreshBanner() {
  if (!session.user) return;
  try {
    const conn = await api.get('/integrations/sevdesk', { quiet: true });
    renderBanner(conn);
  } catch (e) {
    if (e.status === 404) renderBanner(null);  // the server runs without the integration
  }
}

async function route() {
  const seq = ++renderSeq;
  const { path, query } = parseHash();
  const main = document.getElementById('main');
  if (!session.user) {
    if (path !== '/anmeldung') {
      sessionStorage.setItem('after-login', location.hash);
      history.replaceState(null, '', '#/anmeldung');
    }
    renderHeader(null);
    clear(main);
    renderLogin(main, { onLogin });
    return;
  }
  if (path === '/' || path === '/anmeldung') { history.replaceState(null, '', '#/rechnungen'); return route(); }
  if (path === '/einstellungen') { history.replaceState(null, '', '#/einstellungen/schule'); return route(); }
  const found = routes.find(([re]) => re.test(path));
  renderHeader(found ? found[2] : null);
  clear(main);
  main.setAttribute('aria-busy', 'true');
  const ctx = {
    params: found ? path.match(found[0]).slice(1) : [],
    query,
    session,
    alive: () => seq === renderSeq,
    navigate,
    replaceQuery,
    refreshBanner,
    setSchoolName,
  };
  try {
    if (!found) {
      pageTitle('Nicht gefunden');
      main.append(h('h1', {}, 'Seite nicht gefunden'), h('p', {}, h('a', { href: '#/rechnungen' }, 'Zu den Rechnungen')));
    } else {
      await found[1](main, ctx);
    }
  } catch (e) {
    if (seq !== renderSeq) return;
    main.append(h('div', { class: 'form-alert', role: 'alert' }, e.message || String(e)));
  } finally {
    if (seq === renderSeq) main.removeAttribute('aria-busy');
  }
  refreshBanner();
}

async function onLogin(data) {
  api.setCsrf(data.csrf_token);
  session.user = data.user;
  session.school = data.school;
  const target = sessionStorage.getItem('after-login');
  sessionStorage.removeItem('after-login');
  location.hash = target && target !== '#/anmeldung' ? target : '#/rechnungen';
  if (target === location.hash) route();
}

export function setSchoolName(name) {
  if (session.school) session.school.name = name;
  const el = document.querySelector('[data-testid="school-name"]');
  if (el) el.textContent = name;
}

async function boot() {
  api.onUnauthenticated(() => {
    if (!session.user) return;
    session.user = null;
    renderBanner(null);
    route();
  });
  document.getElementById('skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    document.getElementById('main').focus();
  });
  try {
    const me = await api.get('/me');
    api.setCsrf(me.csrf_token);
    session.user = me.user;
    session.school = me.school;
  } catch (e) {
    if (e.status !== 401) {
      const main = document.getElementById('main');
      clear(main);
      main.append(h('div', { class: 'form-alert', role: 'alert' }, e.message,
        h('p', {}, h('button', { type: 'button', class: 'btn', onclick: () => location.reload() }, 'Neu laden'))));
      return;
    }
  }
  window.addEventListener('hashchange', route);
  await route();
  bannerTimer = setInterval(refreshBanner, 15000);
}

boot();
