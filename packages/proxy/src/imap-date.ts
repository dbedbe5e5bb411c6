const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DATE_TIME = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** Parse an IMAP `date-time` (`17-Jul-1996 02:44:25 -0700`); null when invalid. */
export function parseImapDate(text: string): Date | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const month = MONTHS.findIndex((name) => name.toLowerCase() === m[2]!.toLowerCase());
  if (month < 0) return null;
  const [day, year, h, mi, s, zh, zm] = [m[1], m[3], m[4], m[5], m[6], m[8], m[9]].map(Number) as number[];
  if (day! < 1 || day! > 31 || h! > 23 || mi! > 59 || s! > 60 || zm! > 59) return null;
  const offset = (m[7] === "-" ? -1 : 1) * (zh! * 60 + zm!);
  const utc = Date.UTC(year!, month, day!, h!, mi!, s!) - offset * 60_000;
  const date = new Date(utc);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Format a date as an IMAP `date-time` in UTC (`+0000`). */
export function formatImapDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
