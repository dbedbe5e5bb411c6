import type { Reader } from "./reader.js";

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const DATE_TEXT = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/;
const DATE_TIME = /^( \d|\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** `date-text` (`1-Feb-1994`) → ISO `1994-02-01`, or null when invalid. */
export function dateTextToIso(text: string): string | null {
  const m = DATE_TEXT.exec(text);
  if (m === null) return null;
  const month = MONTHS.indexOf(m[2]!.toUpperCase());
  const day = Number(m[1]);
  if (month < 0 || day < 1 || day > 31) return null;
  return `${m[3]}-${String(month + 1).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** ISO `1994-02-01` → `date-text` `1-Feb-1994`. */
export function isoToDateText(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (m === null) throw new RangeError(`not an ISO date: ${iso}`);
  const month = Number(m[2]);
  if (month < 1 || month > 12) throw new RangeError(`not an ISO date: ${iso}`);
  return `${Number(m[3])}-${MONTH_NAMES[month - 1]}-${m[1]}`;
}

/** True for a valid `date-time` body (without quotes), e.g. `17-Jul-1996 02:44:25 -0700`. */
export function isDateTime(text: string): boolean {
  const m = DATE_TIME.exec(text);
  if (m === null) return false;
  const day = Number(m[1]);
  return (
    day >= 1 &&
    day <= 31 &&
    MONTHS.includes(m[2]!.toUpperCase()) &&
    Number(m[4]) < 24 &&
    Number(m[5]) < 60 &&
    Number(m[6]) < 61 &&
    Number(m[8]) < 24 &&
    Number(m[9]) < 60
  );
}

/** Formats a JS Date as an IMAP `date-time` in UTC offset +0000. */
export function formatDateTime(date: Date): string {
  const d = date.getUTCDate();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d < 10 ? ` ${d}` : d}-${MONTH_NAMES[date.getUTCMonth()]}-${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())} +0000`;
}

/** Parses an IMAP `date-time` into a Date (null when invalid). */
export function parseDateTime(text: string): Date | null {
  if (!isDateTime(text)) return null;
  const m = DATE_TIME.exec(text)!;
  const month = MONTHS.indexOf(m[2]!.toUpperCase());
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const offset = (Number(m[8]) * 60 + Number(m[9])) * (m[7] === "-" ? -1 : 1);
  return new Date(utc - offset * 60_000);
}

/** date = date-text / DQUOTE date-text DQUOTE, returned as ISO. */
export function readSearchDate(r: Reader): string {
  const text = r.peek() === 0x22 ? r.quoted() : r.atom("a date");
  const iso = dateTextToIso(text);
  if (iso === null) r.fail(`bad date "${text.slice(0, 20)}" (expected e.g. 1-Feb-1994)`);
  return iso;
}

/** date-time = DQUOTE ... DQUOTE, validated, returned without quotes. */
export function readDateTime(r: Reader): string {
  if (r.peek() !== 0x22) r.fail("expected a quoted date-time");
  const text = r.quoted();
  if (!isDateTime(text)) r.fail(`bad date-time "${text.slice(0, 30)}"`);
  return text;
}
