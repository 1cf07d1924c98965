// The app's routes (routes.js): every hash the app writes reads back as
// the same view, anything else is the list, and the history depth that
// decides whether a Back button may step back through history.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute, href, isPage, historyDepth } from '../../src/routes.js';

test('parseRoute reads every view', () => {
  assert.deepEqual(parseRoute('#scoreboard'), { name: 'scoreboard' });
  assert.deepEqual(parseRoute('#announcements'), { name: 'announcements' });
  assert.deepEqual(parseRoute('#team'), { name: 'team' });
  assert.deepEqual(parseRoute('#challenges'), { name: 'challenges' });
  assert.deepEqual(parseRoute('#challenge/4'), { name: 'challenge', id: 4 });
  assert.deepEqual(parseRoute('#player/17'), { name: 'player', id: 17 });
  assert.deepEqual(parseRoute('#team/1000000001'), { name: 'teamPage', id: 1000000001 });
  // A leading slash is tolerated (#/scoreboard), as before.
  assert.deepEqual(parseRoute('#/player/3'), { name: 'player', id: 3 });
});

test('parseRoute sends anything else to the list', () => {
  for (const hash of ['', '#', null, undefined, '#nope', '#player', '#player/', '#player/abc', '#player/1/2',
    '#team/', '#team/-1', '#challenge/1.5', '#player/12345678901234567890', '#Player/1', ' #player/1']) {
    assert.deepEqual(parseRoute(hash), { name: 'challenges' }, String(hash));
  }
});

test('href writes what parseRoute reads', () => {
  const pairs = [
    [href.challenges(), { name: 'challenges' }],
    [href.challenge(2), { name: 'challenge', id: 2 }],
    [href.scoreboard(), { name: 'scoreboard' }],
    [href.announcements(), { name: 'announcements' }],
    [href.team(), { name: 'team' }],
    [href.player(7), { name: 'player', id: 7 }],
    [href.teamPage(12), { name: 'teamPage', id: 12 }],
    [href.page(7, false), { name: 'player', id: 7 }],
    [href.page(12, true), { name: 'teamPage', id: 12 }],
  ];
  for (const [hash, route] of pairs) assert.deepEqual(parseRoute(hash), route, hash);
  assert.equal(href.player(7), '#player/7');
  assert.equal(href.teamPage(12), '#team/12');
});

test('isPage is true for a player\'s and a team\'s page only', () => {
  assert.equal(isPage(parseRoute('#player/1')), true);
  assert.equal(isPage(parseRoute('#team/1')), true);
  assert.equal(isPage(parseRoute('#team')), false);
  assert.equal(isPage(parseRoute('#scoreboard')), false);
  assert.equal(isPage(parseRoute('#challenge/1')), false);
});

test('historyDepth counts the app\'s entries behind the current one', () => {
  // The first entry of the app (a fresh load, a deep link): nothing behind.
  assert.equal(historyDepth(null, null), 0);
  assert.equal(historyDepth({}, null), 0);
  // A new entry (a link followed, a nav button) is one deeper.
  assert.equal(historyDepth(null, 0), 1);
  assert.equal(historyDepth(null, 3), 4);
  // An entry visited before (Back, Forward, a reload) keeps its depth.
  assert.equal(historyDepth({ ctfgDepth: 2 }, 5), 2);
  assert.equal(historyDepth({ ctfgDepth: 0 }, 1), 0);
});
