import * as api from '../api.js';
import { h, field, formAlert, showErrors, clearErrors, working, icon, pageTitle } from '../dom.js';

export function renderLogin(main, { onLogin }) {
  pageTitle('Anmeldung');
  const alert = formAlert();
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Anmelden');
  const form = h('form', { class: 'login-form', novalidate: true },
    alert,
    field({ label: 'E-Mail-Adresse', name: 'email', type: 'email', required: true, attrs: { autocomplete: 'username', inputmode: 'email' } }),
    field({ label: 'Passwort', name: 'password', type: 'password', required: true, attrs: { autocomplete: 'current-password' } }),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = { email: form.email.value.trim(), password: form.password.value };
    await working(submit, 'Anmelden …', async () => {
      try {
        const data = await api.post('/session', body);
        await onLogin(data);
      } catch (err) {
        showErrors(form, err);
      }
    });
  });
  main.append(h('section', { class: 'login' },
    h('div', { class: 'login-card' },
      h('div', { class: 'login-brand' }, icon('paw', 'brand-icon big'), h('span', {}, 'Hundeschule')),
      h('h1', {}, 'Anmeldung'),
      h('p', { class: 'muted' }, 'Bitte mit der E-Mail-Adresse und dem Passwort Ihrer Hundeschule anmelden.'),
      form)));
  form.email.focus();
}
