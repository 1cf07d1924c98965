// Team mode (docs/API.md, "Teams"): the team scores, so the board, the
// first bloods and the scorestream's frames speak of teams (player_id is
// the team's id there). The Team view (#team) makes a team, joins one with
// an invite code, lists the members and the code, and leaves. The app
// knows the game is played in teams when /api/me has the team_id key.

import { api } from './api.js';
import { h, replace } from './dom.js';

export const NO_TEAM_REASON = 'Solving needs a team: make one or join one with an invite code on the Team page.';

/** teamMode says whether the game is played in teams (/api/me has team_id, maybe null). */
export function teamMode(me) {
  return !!me && Object.prototype.hasOwnProperty.call(me, 'team_id');
}

/**
 * boardId is the id that stands for the player on the board and in
 * frames: the team's in team mode (null without a team), else their own.
 */
export function boardId(me) {
  if (!me) return null;
  if (teamMode(me)) return typeof me.team_id === 'number' ? me.team_id : null;
  return typeof me.player_id === 'number' ? me.player_id : null;
}

/** byLine is who did a team's solve or hint: "Bob (Crypto Cats)", or the name alone. */
export function byLine(ev) {
  const who = ev.displayname || `#${ev.player_id}`;
  return typeof ev.by_name === 'string' && ev.by_name !== '' ? `${ev.by_name} (${who})` : who;
}

function teamMessage(err) {
  switch (err.status) {
    case 0:
      return 'Cannot reach the server. Check your connection and try again.';
    case 400:
      if (err.code === 'invalid_code') return 'No team has this invite code. Check it and try again.';
      // Name rules come as a sentence for the player (as set-name's).
      return err.code && !/^[a-z_]+$/.test(err.code) ? err.code : 'That is not allowed. Try another one.';
    case 403:
      return err.code === 'teams_off'
        ? 'Teams are not played in this game.'
        : 'The organizers set the teams of this game: ask them to put you in one.';
    case 409:
      switch (err.code) {
        case 'name_taken':
          return 'That name is already taken by a team or a player. Try another one.';
        case 'already_in_team':
          return 'You are already in a team.';
        case 'team_full':
          return 'That team is full.';
        case 'not_in_team':
          return 'You are not in a team.';
        default:
          return `That did not work (${err.code}).`;
      }
    case 429:
      return 'Too many attempts. Wait a moment and try again.';
    default:
      return `Something went wrong (${err.code}). Try again.`;
  }
}

/**
 * copyText puts text on the clipboard; without the Clipboard API (or
 * its permission) it selects the field, so that Ctrl+C does it.
 */
async function copyText(text, field) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    field.focus();
    field.select();
    return false;
  }
}

/**
 * renderTeamView fills el with the Team view. ctx: meId (the player's
 * own id), current() (false once the view was left), onChange(team) after
 * the player made, joined (team: the /api/teams reply) or left (null) a
 * team.
 */
export function renderTeamView(el, ctx) {
  const head = h('div', { class: 'page-head' }, h('h1', { text: 'Team' }));
  const status = h('p', { class: 'team-status', role: 'status' });
  replace(el, head, status, h('p', { class: 'muted', role: 'status', text: 'Loading your team…' }));

  api.myTeam().then((team) => {
    if (ctx.current()) show(team);
  }, (err) => {
    if (!ctx.current() || err.status === 401) return;
    replace(el, head, h('div', { class: 'panel' },
      h('p', { class: 'form-error', role: 'alert', text: teamMessage(err) }),
      h('button', { type: 'button', class: 'secondary', text: 'Try again', onClick: () => renderTeamView(el, ctx) })));
  });

  function show(team, said = '') {
    status.textContent = said;
    if (team && typeof team.team_id === 'number') replace(el, head, status, teamPanel(team));
    else replace(el, head, status, noTeamPanels());
  }

  function changed(team, said, focus) {
    ctx.onChange(team);
    show(team, said);
    const target = el.querySelector(focus);
    if (target) target.focus();
  }

  function teamPanel(team) {
    const members = Array.isArray(team.members) ? team.members : [];
    const code = typeof team.invite_code === 'string' && team.invite_code !== '' ? team.invite_code : null;
    let invite;
    if (code) {
      const field = h('input', {
        id: 'invite-code', class: 'invite-code', readonly: true, value: code,
        autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'invite-help',
      });
      const copied = h('span', { class: 'copy-status muted', role: 'status' });
      const copy = h('button', {
        type: 'button', class: 'secondary', text: 'Copy code',
        onClick: async () => {
          copied.textContent = (await copyText(code, field)) ? 'Copied.' : 'Selected: press Ctrl+C to copy.';
        },
      });
      invite = h('section', { class: 'panel invite', 'aria-labelledby': 'invite-title' },
        h('h2', { id: 'invite-title', text: 'Invite your teammates' }),
        h('p', { id: 'invite-help', class: 'muted', text: 'Teammates join with this code on their Team page. Share it only with them.' }),
        h('label', { for: 'invite-code', text: 'Invite code' }),
        h('div', { class: 'flag-row' }, field, copy),
        copied);
    } else {
      invite = h('section', { class: 'panel invite' },
        h('p', { class: 'muted', text: 'The organizers set the members of this team: it has no invite code.' }));
    }
    const leaveBox = h('div', { class: 'leave-box' });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const ask = () => replace(leaveBox, h('button', { type: 'button', class: 'ghost', text: 'Leave team', onClick: confirm }));
    const confirm = () => {
      replace(leaveBox,
        h('p', { id: 'leave-note', text: `Leave ${team.team}? The team keeps the points it made; you take none along.` }),
        h('button', { type: 'button', class: 'primary', 'aria-describedby': 'leave-note', text: `Confirm: leave ${team.team}`, onClick: leave }),
        h('button', { type: 'button', class: 'ghost', text: 'Cancel', onClick: () => { ask(); leaveBox.querySelector('button').focus(); } }));
      leaveBox.querySelector('button.primary').focus();
    };
    async function leave(ev) {
      ev.currentTarget.disabled = true;
      error.textContent = '';
      try {
        await api.leaveTeam();
        changed(null, `You left ${team.team}.`, '#team-name');
      } catch (err) {
        if (err.status === 401) return;
        if (err.code === 'not_in_team') {
          changed(null, 'You are not in a team.', '#team-name');
          return;
        }
        error.textContent = teamMessage(err);
        ask();
      }
    }
    ask();
    return [
      h('section', { class: 'panel team-panel', 'aria-labelledby': 'team-title' },
        h('h2', { id: 'team-title', tabindex: '-1', text: team.team || `Team #${team.team_id}` }),
        h('h3', { text: `Members (${members.length})` }),
        h('ul', { class: 'members' }, members.map((m) => h('li', { class: m.player_id === ctx.meId ? 'me' : null },
          m.displayname || 'A player without a name yet',
          m.player_id === ctx.meId ? h('span', { class: 'you', text: ' (you)' }) : null))),
        leaveBox,
        error),
      invite,
    ];
  }

  function noTeamPanels() {
    const form = ({ id, title, label, placeholder, button, empty, send, extra }) => {
      const input = h('input', {
        id: `${id}-input`, name: id, placeholder, autocomplete: 'off', spellcheck: 'false', required: true,
        maxlength: 60, ...extra,
      });
      const error = h('p', { class: 'form-error', role: 'alert' });
      const submit = h('button', { type: 'submit', class: 'primary', text: button });
      const onSubmit = async (ev) => {
        ev.preventDefault();
        error.textContent = '';
        const value = input.value.trim();
        if (!value) {
          error.textContent = empty;
          input.focus();
          return;
        }
        submit.disabled = true;
        try {
          await send(value);
        } catch (err) {
          if (err.status === 401) return;
          if (err.code === 'already_in_team') {
            // Joined elsewhere (another tab): show the team.
            api.myTeam().then((team) => {
              if (ctx.current()) changed(team, 'You are already in a team.', '#team-title');
            }, () => {});
            return;
          }
          error.textContent = teamMessage(err);
          submit.disabled = false;
          input.select();
        }
      };
      return h('form', { class: 'panel team-form', 'aria-labelledby': `${id}-title`, novalidate: true, onSubmit },
        h('h2', { id: `${id}-title`, text: title }),
        h('label', { for: `${id}-input`, text: label }),
        h('div', { class: 'flag-row' }, input, submit),
        error);
    };
    return [
      h('section', { class: 'panel notice-panel', 'aria-labelledby': 'team-name' },
        h('h2', { id: 'team-name', tabindex: '-1', text: 'You are not in a team yet' }),
        h('p', { text: 'This game is played in teams: solving challenges and buying hints needs one. Make a team and share its invite code with your teammates, or join a team with the code a teammate gave you.' })),
      form({
        id: 'make-team', title: 'Make a team', label: 'Team name', placeholder: 'e.g. Crypto Cats',
        button: 'Make team', empty: 'Enter a name for the team first.',
        send: async (name) => {
          const team = await api.createTeam(name);
          changed(team, `You made ${team.team}. Share the invite code with your teammates.`, '#team-title');
        },
      }),
      form({
        id: 'join-team', title: 'Join a team', label: 'Invite code', placeholder: 'e.g. 7K3QXW2M9PZ4TB6R',
        button: 'Join team', empty: 'Enter the invite code a teammate gave you first.', extra: { autocapitalize: 'characters' },
        send: async (code) => {
          const team = await api.joinTeam(code);
          changed(team, `You joined ${team.team}.`, '#team-title');
        },
      }),
    ];
  }
}
