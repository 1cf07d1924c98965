// The HTTP API of docs/API.md: JSON in and out, the session is a cookie.

/** ApiError is a failed request: status 0 means the network failed. */
export class ApiError extends Error {
  constructor(status, code, retryAfter) {
    super(`${status} ${code}`);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

let unauthorizedHandler = null;

/**
 * onUnauthorized sets what happens when an authenticated request gets 401
 * (the session ended: logout elsewhere, admin reset, expiry).
 */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

/**
 * request sends one API call and returns the decoded reply (null for 204).
 * It throws ApiError on any failure. quiet401 skips the global 401 handler
 * for calls whose 401 is an expected answer (login, me, board).
 */
export async function request(method, path, body, { quiet401 = false } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network');
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const code = data && typeof data.error === 'string' ? data.error : `http_${res.status}`;
    const retry = Number.parseInt(res.headers.get('Retry-After') || '', 10);
    const err = new ApiError(res.status, code, Number.isFinite(retry) ? retry : null);
    if (res.status === 401 && !quiet401 && unauthorizedHandler) unauthorizedHandler(err);
    throw err;
  }
  return data;
}

export const api = {
  login: (username, password) =>
    request('POST', '/api/login', { username, password }, { quiet401: true }),
  logout: () => request('POST', '/api/logout', undefined, { quiet401: true }),
  me: () => request('GET', '/api/me', undefined, { quiet401: true }),
  setName: (name) => request('POST', '/api/set-name', { name }),
  challenges: () => request('GET', '/api/challenges'),
  submit: (id, flag) => request('POST', '/api/submit', { id, flag }),
  hint: (id, hintId) => request('POST', '/api/hint', { id, hint_id: hintId }),
  board: () => request('GET', '/api/board', undefined, { quiet401: true }),
  // No session needed: the login page and the board count down too.
  clock: () => request('GET', '/api/clock', undefined, { quiet401: true }),
  announcements: () => request('GET', '/api/announcements', undefined, { quiet401: true }),
  scoreboard: () => request('GET', '/api/scoreboard', undefined, { quiet401: true }),
  // The pages players expect: the public board's, as the scoreboard.
  player: (id) => request('GET', `/api/players/${encodeURIComponent(id)}`),
  solvers: (id) => request('GET', `/api/challenges/${encodeURIComponent(id)}/solvers`),
  // Teams (team mode only; 403 teams_off otherwise).
  myTeam: () => request('GET', '/api/teams/mine'),
  createTeam: (name) => request('POST', '/api/teams', { name }),
  joinTeam: (code) => request('POST', '/api/teams/join', { code }),
  leaveTeam: () => request('POST', '/api/teams/leave'),
};
