import { threadId } from 'node:worker_threads';

/** Real containers print an OS thread id; a stable pid/thread-derived number is close enough. */
const TID = 139_900_000_000_000 + (process.pid % 100_000) * 100 + (threadId % 100);

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `[MM/DD/YYYY HH:MM:SS INFO <tid>] message`, in UTC like the real containers. */
export function formatLogLine(message: string, level: 'INFO' | 'WARNING' | 'ERROR' = 'INFO', now = new Date()): string {
  const stamp =
    `${pad(now.getUTCMonth() + 1)}/${pad(now.getUTCDate())}/${now.getUTCFullYear()} ` +
    `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}`;
  return `[${stamp} ${level} ${TID}] ${message}`;
}

export type Logger = (message: string, level?: 'INFO' | 'WARNING' | 'ERROR') => void;

/** Wraps the sink given by the emulator, which expects fully formatted lines. */
export function makeLogger(sink: (line: string) => void): Logger {
  return (message, level = 'INFO') => sink(formatLogLine(message, level));
}
