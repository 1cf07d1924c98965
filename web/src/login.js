// The login form and the display-name dialog.

import { api } from './api.js';
import { h, replace } from './dom.js';
import { offerRegistration } from './register.js';

export function bannerImage(cls = 'banner') {
  return h('img', { src: '/images/banner', alt: '', class: cls, decoding: 'async' });
}

function loginMessage(err) {
  switch (err.status) {
    case 0:
      return 'Cannot reach the server. Check your connection and try again.';
    case 400:
      return 'Enter your username and password.';
    case 401:
      return 'Wrong username or password.';
    case 429:
      return 'Too many login attempts. Wait a minute and try again.';
    default:
      return `Login failed (${err.code}). Try again in a moment.`;
  }
}

/**
 * renderLogin shows the login form in root. onSuccess(reply) gets the
 * /api/login reply once the session cookie is set; extra (a node, e.g.
 * the game clock) goes under the title.
 */
export function renderLogin(root, { notice = '', title = 'Log in to play', extra = null, onSuccess }) {
  const username = h('input', {
    id: 'login-username', name: 'username', placeholder: 'Username', autocomplete: 'username',
    autocapitalize: 'none', spellcheck: 'false', required: true,
  });
  const password = h('input', {
    id: 'login-password', name: 'password', type: 'password', placeholder: 'Password',
    autocomplete: 'current-password', required: true,
  });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary wide', text: 'Login' });
  const form = h('form', { class: 'panel login-card', novalidate: true, onSubmit: submit },
    bannerImage(),
    h('h1', { text: title }),
    notice ? h('p', { class: 'notice', role: 'status', text: notice }) : null,
    extra,
    h('label', { for: 'login-username', text: 'Username' }), username,
    h('label', { for: 'login-password', text: 'Password' }), password,
    error,
    button);
  replace(root, h('main', { class: 'center-page' }, form));
  username.focus();
  // "Create an account" when the server takes registrations (register.js).
  offerRegistration(form, { root, onSuccess, onBack: () => renderLogin(root, { title, onSuccess }) });

  async function submit(ev) {
    ev.preventDefault();
    error.textContent = '';
    if (!username.value.trim() || !password.value) {
      error.textContent = 'Enter your username and password.';
      return;
    }
    button.disabled = true;
    button.textContent = 'Logging in…';
    try {
      const reply = await api.login(username.value.trim(), password.value);
      await onSuccess(reply);
    } catch (err) {
      error.textContent = loginMessage(err);
      button.disabled = false;
      button.textContent = 'Login';
      password.select();
    }
  }
}

function nameMessage(err) {
  switch (err.status) {
    case 0:
      return 'Cannot reach the server. Check your connection and try again.';
    case 400:
      // The server explains what is wrong with the name in a sentence.
      return err.code && !/^[a-z_]+$/.test(err.code) ? err.code : 'That name is not allowed. Try another one.';
    case 409:
      return 'That name is already taken. Try another one.';
    case 429:
      return 'Too many attempts. Wait a moment and try again.';
    default:
      return `Could not save the name (${err.code}).`;
  }
}

/**
 * renderNameDialog asks for a display name. onDone(name) runs after the
 * server accepted it; onLogout() when the player backs out.
 */
export function renderNameDialog(root, { onDone, onLogout }) {
  const input = h('input', {
    id: 'display-name', name: 'name', placeholder: 'e.g. CryptoCats', autocomplete: 'nickname',
    maxlength: 60, required: true, 'aria-describedby': 'name-help',
  });
  const error = h('p', { class: 'form-error', role: 'alert', id: 'name-error' });
  const button = h('button', { type: 'submit', class: 'primary wide', text: 'Save & Continue' });
  const form = h('form', { novalidate: true, onSubmit: submit },
  h('h1', { id: 'name-title', text: 'Choose your display name' }),
  h('p', { id: 'name-help', class: 'muted', text: 'Everyone sees this name on the scoreboard: 2–30 letters, digits, spaces or -_.,\'!?@#().' }),
  h('label', { for: 'display-name', text: 'Display name' }), input,
  error,
  button,
  h('button', { type: 'button', class: 'link', text: 'Logout', onClick: onLogout }));
  // A modal dialog (the only thing on the page): the focus starts in it
  // and Tab cycles through it.
  const dialog = h('div', {
    class: 'panel login-card', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'name-title',
    'aria-describedby': 'name-help', onKeydown: trapTab,
  }, form);
  replace(root, h('main', { class: 'center-page' }, dialog));
  input.focus();

  function trapTab(ev) {
    if (ev.key !== 'Tab') return;
    const stops = [...dialog.querySelectorAll('input, button:not(:disabled)')];
    const first = stops[0];
    const last = stops[stops.length - 1];
    if (ev.shiftKey && document.activeElement === first) {
      ev.preventDefault();
      last.focus();
    } else if (!ev.shiftKey && document.activeElement === last) {
      ev.preventDefault();
      first.focus();
    }
  }

  async function submit(ev) {
    ev.preventDefault();
    error.textContent = '';
    const name = input.value.trim();
    if (!name) {
      error.textContent = 'Enter a display name.';
      return;
    }
    button.disabled = true;
    try {
      const reply = await api.setName(name);
      await onDone((reply && reply.displayname) || name);
    } catch (err) {
      if (err.status === 401) return; // the session ended; the app shows the login
      error.textContent = nameMessage(err);
      button.disabled = false;
      input.select();
    }
  }
}
