import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, toIso } from '../../src/codes/durations.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['90s', 90 * SECOND],
    ['15m', 15 * MINUTE],
    ['12h', 12 * HOUR],
    ['7d', 7 * DAY],
    ['1s', SECOND],
    ['60m', HOUR],
    ['24h', DAY],
    ['365d', 365 * DAY],
    ['400d', 400 * DAY],
    ['31d', 31 * DAY],
    ['3600s', HOUR],
  ])('reads %s as milliseconds', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('reads zero as zero', () => {
    expect(parseDuration('0s')).toBe(0);
  });

  it('tolerates surrounding whitespace and upper-case units', () => {
    expect(parseDuration(' 15m ')).toBe(15 * MINUTE);
    expect(parseDuration('7D')).toBe(7 * DAY);
  });

  it.each([
    '',
    ' ',
    '7',
    'd',
    'abc',
    '7 weeks',
    '7w',
    '1y',
    '-5m',
    '+5m',
    '1.5h',
    '1,5h',
    '15 m s',
    '15ms',
    '1h30m',
    'm15',
    '0x10s',
    '1e3s',
    'Infinity s',
  ])('gives null for %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('formatDuration', () => {
  it.each([
    [90, '90s'],
    [1, '1s'],
    [59, '59s'],
    [60, '1m'],
    [900, '15m'],
    [3660, '61m'],
    [3600, '1h'],
    [7200, '2h'],
    [43_200, '12h'],
    [86_400, '1d'],
    [90_000, '25h'],
    [604_800, '7d'],
    [31_536_000, '365d'],
  ])('writes %d seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('writes zero as 0s', () => {
    expect(formatDuration(0)).toBe('0s');
  });

  it('round-trips through parseDuration', () => {
    for (const seconds of [1, 45, 60, 61, 90, 600, 3599, 3600, 5400, 86_399, 86_400, 604_800]) {
      expect(parseDuration(formatDuration(seconds))).toBe(seconds * SECOND);
    }
  });
});

describe('toIso', () => {
  it('writes an instant as an ISO-8601 UTC timestamp', () => {
    expect(toIso(Date.UTC(2026, 0, 15, 12, 30, 0))).toBe('2026-01-15T12:30:00.000Z');
  });

  it('keeps null as null', () => {
    expect(toIso(null)).toBeNull();
  });
});
