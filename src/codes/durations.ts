import dayjs from 'dayjs';
import duration from 'dayjs/plugin/duration.js';

dayjs.extend(duration);

const UNITS = { s: 'seconds', m: 'minutes', h: 'hours', d: 'days' } as const;
const DURATION_TEXT = /^(\d+)\s*([smhd])$/;

/** Milliseconds of a duration written like `90s`, `15m`, `12h`, `7d`; null when it is not one. */
export function parseDuration(text: string): number | null {
  const match = DURATION_TEXT.exec(text.trim().toLowerCase());
  if (!match) return null;
  const [, amount, unit] = match as unknown as [string, string, keyof typeof UNITS];
  return dayjs.duration(Number(amount), UNITS[unit]).asMilliseconds();
}

/** The shortest exact way to write a whole number of seconds: `90s`, `15m`, `2h`, `7d`. */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

export function toIso(instant: number | null): string | null {
  // Date directly: the same text as dayjs's, without a wrapper object (every answer and event).
  return instant === null ? null : new Date(instant).toISOString();
}
