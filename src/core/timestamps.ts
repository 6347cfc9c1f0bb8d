import { InputError } from './errors.js';

const CLOCK = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/;
const SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * Parses a time given as seconds ("12.5") or a clock ("01:03.2", "00:01:03.200").
 * `what` names the input in the error message.
 */
export function parseTime(text: string, what = 'time'): number {
  const trimmed = text.trim();
  if (SECONDS.test(trimmed)) return Number(trimmed);
  const clock = CLOCK.exec(trimmed);
  if (clock) {
    const hours = Number(clock[1] ?? 0);
    const minutes = Number(clock[2]);
    const seconds = Number(clock[3]);
    if (minutes < 60 && seconds < 60) return hours * 3600 + minutes * 60 + seconds;
  }
  throw new InputError(`${what} "${text}" is not a time (use seconds like 12.5 or a clock like 00:01:03.200)`);
}

/** Parses a comma-separated list of times. */
export function parseTimeList(text: string, what = '--at'): number[] {
  const parts = text.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
  if (parts.length === 0) throw new InputError(`${what} "${text}" lists no times`);
  return parts.map((part) => parseTime(part, `${what} value`));
}

/** Formats seconds as HH:MM:SS.mmm, the timecode shown in reports. */
export function formatTimecode(totalSeconds: number): string {
  const millis = Math.max(0, Math.round(totalSeconds * 1000));
  const hours = Math.floor(millis / 3_600_000);
  const minutes = Math.floor((millis % 3_600_000) / 60_000);
  const seconds = Math.floor((millis % 60_000) / 1000);
  const ms = millis % 1000;
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(ms, 3)}`;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Rounds seconds to microseconds so reports do not carry float noise. */
export function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}
