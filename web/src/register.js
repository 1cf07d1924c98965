// Self-registration: the "Create an account" link under the login form
// (when the server's registration is open or by invite) and its form.
// The proof of work runs in the page (pow.js) with a progress bar;
// errors are announced in the form's alert region, next to the field
// they concern.

import { request } from './api.js';
import { h, replace } from './dom.js';
import { solvePoW } from './pow.js';
import './register.css';

const USERNAME_RE = /^[a-z0-9_.-]{3,32}$/;

const registration = {
  info: () => request('GET', '/api/registration', undefined, { quiet401: true }),
  challenge: () => request('GET', '/api/registration/challenge', undefined, { quiet401: true }),
  register: (body) => request('POST', '/api/register', body, { quiet401: true }),
};

/**
 * offerRegistration adds "Create an account" to the login form when the
 * server takes registrations. opts: root (where the form renders),
 * onSuccess (as the login's: gets the reply once the session cookie is
 * set), onBack (shows the login again).
 */
export function offerRegistration(form, opts) {
  registration.info().then((info) => {
    if (!info || (info.mode !== 'open' && info.mode !== 'invite') || !form.isConnected) return;
    form.append(h('p', { class: 'register-offer' }, 'New here? ',
      h('button', {
        type: 'button', class: 'link', text: 'Create an account',
        onClick: () => renderRegister(opts.root, { ...opts, mode: info.mode, powBits: info.pow_bits }),
      })));
  }).catch(() => { /* no registration offered: the login works as ever */ });
}

/** usernameProblem checks a username as the server will, or returns null. */
export function usernameProblem(name) {
  if (!USERNAME_RE.test(name)) return 'Use 3–32 characters: letters a–z, digits, and _ . -';
  if (name.startsWith('team')) return 'Usernames starting with “team” are kept for teams. Choose another.';
  return null;
}

/** passwordProblem checks a password's length as the server will. */
export function passwordProblem(username, password) {
  if ([...password].length < 10) return 'Use at least 10 characters for your password.';
  if (new TextEncoder().encode(password).length > 72) return 'That password is too long: at most 72 bytes.';
  if (password.toLowerCase() === username) return 'Your password must not be your username.';
  return null;
}

function registerMessage(err) {
  switch (err.code) {
    case 'invalid_username': return ['username', 'That username is not allowed. Use 3–32 characters: a–z, digits, and _ . -'];
    case 'username_taken': return ['username', 'That username is taken. Choose another one.'];
    case 'weak_password': return ['password', 'That password is too weak: at least 10 characters, not your username, not a common password.'];
    case 'invalid_code': return ['code', 'That registration code is not right. Check it with the organizers.'];
    case 'pow_invalid':
    case 'pow_expired': return [null, 'The anti-spam check expired. Press “Create account” again.'];
    case 'registration_closed': return [null, 'Registration is closed. Ask the organizers for an account.'];
    default: break;
  }
  switch (err.status) {
    case 0: return [null, 'Cannot reach the server. Check your connection and try again.'];
    case 429: return [null, `Too many attempts from your network. Wait ${err.retryAfter || 'a few'} seconds and try again.`];
    default: return [null, `Could not create the account (${err.code}). Try again in a moment.`];
  }
}

/**
 * renderRegister shows the registration form. opts: mode ('open' or
 * 'invite'), powBits, onSuccess(reply), onBack().
 */
export function renderRegister(root, { mode, powBits, onSuccess, onBack }) {
  const field = (id, label, input, help) => [
    h('label', { for: id, text: label }),
    input,
    help ? h('p', { id: `${id}-help`, class: 'field-help', text: help }) : null,
  ];
  const username = h('input', {
    id: 'register-username', name: 'username', autocomplete: 'username', autocapitalize: 'none',
    spellcheck: 'false', required: true, maxlength: 32, 'aria-describedby': 'register-username-help',
  });
  const password = h('input', {
    id: 'register-password', name: 'password', type: 'password', autocomplete: 'new-password',
    required: true, 'aria-describedby': 'register-password-help',
  });
  const code = mode === 'invite' ? h('input', {
    id: 'register-code', name: 'code', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false',
    required: true, 'aria-describedby': 'register-code-help',
  }) : null;
  const inputs = { username, password, code };
  const error = h('p', { id: 'register-error', class: 'form-error', role: 'alert' });
  const status = h('p', { id: 'register-status', class: 'pow-status', role: 'status' });
  const progress = h('progress', { class: 'pow-progress', max: 100, value: 0, hidden: true, 'aria-label': 'Anti-spam check' });
  const button = h('button', { type: 'submit', class: 'primary wide', text: 'Create account' });
  const back = h('button', { type: 'button', class: 'link', text: 'Back to login', onClick: leave });
  const form = h('form', {
    class: 'panel login-card', novalidate: true, 'aria-labelledby': 'register-title', onSubmit: submit,
  },
  h('img', { src: '/images/banner', alt: '', class: 'banner', decoding: 'async' }),
  h('h1', { id: 'register-title', text: 'Create an account' }),
  field('register-username', 'Username', username, '3–32 characters: letters a–z, digits, and _ . - (kept lowercase).'),
  field('register-password', 'Password', password, 'At least 10 characters (at most 72 bytes), not your username, not a common password.'),
  code ? field('register-code', 'Registration code', code, 'The code the organizers gave you.') : null,
  error, status, progress, button, back);
  replace(root, h('main', { class: 'center-page' }, form));
  username.focus();

  let working = null; // the AbortController of a running proof of work
  form.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') leave();
  });

  function leave() {
    if (working) working.abort();
    onBack();
  }

  function show(which, message) {
    for (const input of Object.values(inputs)) input?.removeAttribute('aria-invalid');
    error.textContent = message;
    const input = which && inputs[which];
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      input.select?.();
    }
  }

  function busy(on) {
    button.disabled = on;
    button.textContent = on ? 'Creating account…' : 'Create account';
    progress.hidden = !on;
    if (!on) status.textContent = '';
  }

  async function submit(ev) {
    ev.preventDefault();
    if (working) return;
    show(null, '');
    const name = username.value.trim().toLowerCase();
    username.value = name;
    const problem = usernameProblem(name);
    if (problem) return show('username', problem);
    const pwProblem = passwordProblem(name, password.value);
    if (pwProblem) return show('password', pwProblem);
    if (code && !code.value.trim()) return show('code', 'Enter the registration code.');

    busy(true);
    working = new AbortController();
    try {
      const challenge = await registration.challenge();
      status.textContent = 'Running the anti-spam check in your browser. This takes a few seconds…';
      progress.value = 0;
      const counter = await solvePoW(challenge.nonce, challenge.bits ?? powBits, {
        signal: working.signal,
        onProgress: (fraction) => { progress.value = Math.round(fraction * 100); },
      });
      progress.value = 100;
      status.textContent = 'Check done. Creating your account…';
      const body = { username: name, password: password.value, pow: { nonce: challenge.nonce, counter } };
      if (code) body.code = code.value.trim();
      const reply = await registration.register(body);
      working = null;
      await onSuccess(reply);
    } catch (err) {
      if (err && err.name === 'AbortError') return; // the player went back
      working = null;
      busy(false);
      const [which, message] = registerMessage(err);
      show(which, message);
    }
  }
}
