// The screens' own logic, without a browser: the handling limit the 立案
// screen announces (checked against hand-worked rows of the deadline
// table), the category search by name, code and pinyin, the wait of a 429
// and the words for a deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { limitFor, matchCategory } from '../src/lookups.js';
import { parseRetryAfter } from '../src/api.js';
import { fmtLeft, fmtTime, limitText } from '../src/labels.js';

// The default table of data/cases/config.go (DefaultDeadlines).
const table = {
  default: { amount: 3, unit: 'working_days' },
  rules: [
    { urgency: 'urgent', limit: { amount: 2, unit: 'hours' } },
    { kind: 'component', limit: { amount: 3, unit: 'working_days' } },
    { kind: 'component', area_class: 'A', limit: { amount: 2, unit: 'working_days' } },
    { kind: 'event', limit: { amount: 1, unit: 'working_days' } },
    { kind: 'event', area_class: 'A', limit: { amount: 4, unit: 'working_hours' } },
    { kind: 'event', category: '0110', condition: 'c2', limit: { amount: 6, unit: 'working_hours' } },
  ],
};

test('the limit a case will get follows the deadline table row by row', () => {
  const cases = [
    ['an ordinary event outside class A: 1 working day', { kind: 'event', category: '0111', area_class: 'B', urgency: 'normal' }, '1 工作日'],
    ['an event in a class-A area: 4 working hours', { kind: 'event', category: '0111', area_class: 'A', urgency: 'normal' }, '4 工作时'],
    ['a component in a class-A area: 2 working days', { kind: 'component', category: '0101', area_class: 'A', urgency: 'normal' }, '2 工作日'],
    ['a component without area class: 3 working days', { kind: 'component', category: '0101', urgency: 'normal' }, '3 工作日'],
    ['an urgent event in class A: urgency wins, 2 continuous hours', { kind: 'event', category: '0111', area_class: 'A', urgency: 'urgent' }, '2 小时'],
    ['a category and condition row beats the kind row', { kind: 'event', category: '0110', condition: 'c2', area_class: 'B', urgency: 'normal' }, '6 工作时'],
    ['the same category with another condition falls back to the kind row', { kind: 'event', category: '0110', condition: 'c1', area_class: 'B', urgency: 'normal' }, '1 工作日'],
    ['no row matches: the default', { kind: 'other', category: 'x', urgency: 'normal' }, '3 工作日'],
  ];
  for (const [name, c, want] of cases) assert.equal(limitText(limitFor(table, c)), want, name);
  assert.equal(limitFor(null, cases[0][1]), null);
});

test('a category is found by its name, code, full pinyin or initials', () => {
  const c = { kind: 'event', code: '0110', name: '暴露垃圾', group: '市容环境', py: 'baolulaji', initials: 'bllj' };
  for (const q of ['暴露', '垃圾', '0110', '01', 'baolu', 'laji', 'bllj', 'BLL', ' bl lj ', '市容', '']) assert.ok(matchCategory(c, q), q);
  for (const q of ['井盖', '0111', 'jg', 'llj']) assert.ok(!matchCategory(c, q), q);
});

test('Retry-After is read as seconds or as a date, and a missing one waits a minute', () => {
  assert.equal(parseRetryAfter('30'), 30);
  assert.equal(parseRetryAfter('0'), 1);
  assert.equal(parseRetryAfter(null), 60);
  const inTwoMinutes = new Date(Date.now() + 120000).toUTCString();
  assert.ok(Math.abs(parseRetryAfter(inTwoMinutes) - 120) <= 2);
  assert.equal(parseRetryAfter('soon'), 60);
});

test('times are written in Beijing time and deadlines in words', () => {
  assert.equal(fmtTime('2026-12-07T06:05:00Z'), '2026-12-07 14:05');
  assert.equal(fmtTime('2026-12-31T16:30:00Z'), '2027-01-01 00:30');
  assert.equal(fmtTime(null), '—');
  const now = Date.parse('2026-12-07T06:00:00Z');
  assert.equal(fmtLeft('2026-12-07T06:45:00Z', now), '剩45分钟');
  assert.equal(fmtLeft('2026-12-07T09:30:00Z', now), '剩3小时30分');
  assert.equal(fmtLeft('2026-12-07T05:00:00Z', now), '已超1小时0分');
  assert.equal(fmtLeft('2026-12-10T12:00:00Z', now), '剩3天6小时');
  assert.equal(fmtLeft('2026-10-20T06:00:00Z', now), '已超48天');
});
