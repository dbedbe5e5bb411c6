/**
 * mbox reader (mboxo/mboxrd as written by mutt, Thunderbird, Dovecot, `holdfast export`):
 * messages start at "From " lines at the start of the file or after an empty line; ">From "
 * (any number of ">") loses one ">" (mboxrd); line ends become CRLF. Flags come from the
 * Status (R → \Seen), X-Status (A \Answered, F \Flagged, T \Draft, D \Deleted) and X-Keywords
 * headers; the internal date from the From_ line (asctime, UTC unless a zone follows).
 */
import { open } from "node:fs/promises";
import { toCrlf } from "./target.js";

export interface MboxMessage {
  bytes: Buffer;
  flags: string[];
  internalDate: number;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The date of a From_ line ("From sender Sat Nov 28 16:38:11 2026"), or undefined. */
export function fromLineDate(line: string): number | undefined {
  const m =
    /([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(?:([+-]\d{4}|[A-Z]{3,4})\s+)?(\d{4})(?:\s+([+-]\d{4}))?/.exec(
      line,
    );
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) return undefined;
  let t = Date.UTC(Number(m[7]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0));
  const zone = m[8] ?? (m[6]?.startsWith("+") || m[6]?.startsWith("-") ? m[6] : undefined);
  if (zone) {
    const sign = zone[0] === "-" ? -1 : 1;
    t -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) * 60_000;
  }
  return Number.isFinite(t) ? t : undefined;
}

/** Flags from the mbox status headers of a message's header block. */
export function statusFlags(header: string): string[] {
  const flags = new Set<string>();
  const field = (name: string) => {
    const m = new RegExp(`^${name}:[ \\t]*(.*)$`, "im").exec(header);
    return m ? m[1]!.trim() : undefined;
  };
  const status = field("Status") ?? "";
  const x = field("X-Status") ?? "";
  if (status.includes("R")) flags.add("\\Seen");
  if (x.includes("A")) flags.add("\\Answered");
  if (x.includes("F")) flags.add("\\Flagged");
  if (x.includes("T")) flags.add("\\Draft");
  if (x.includes("D")) flags.add("\\Deleted");
  for (const k of (field("X-Keywords") ?? "").split(/[\s,]+/))
    if (/^[!#-'*+\-./0-9:;<=>?@A-Z^-z|~]+$/.test(k) && !k.startsWith("\\")) flags.add(k);
  return [...flags];
}

function finish(lines: Buffer[], fromLine: string, fallbackDate: number): MboxMessage {
  // the empty line before the next From_ belongs to the mbox, not the message
  // (exactly one: a message may itself end in empty lines)
  if (lines.length && lines[lines.length - 1]!.length === 0) lines.pop();
  const body = Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")]));
  const bytes = toCrlf(body);
  const headerEnd = bytes.indexOf("\r\n\r\n");
  const header = bytes.toString("latin1", 0, headerEnd < 0 ? bytes.length : headerEnd);
  return { bytes, flags: statusFlags(header), internalDate: fromLineDate(fromLine) ?? fallbackDate };
}

/** Stream the messages of an mbox file (bounded memory: one message at a time). */
export async function* readMbox(path: string): AsyncGenerator<MboxMessage> {
  const fh = await open(path, "r");
  const fallback = (await fh.stat()).mtimeMs;
  let lines: Buffer[] = [];
  let fromLine: string | undefined;
  let prevEmpty = true;
  try {
    for await (const raw of fh.readLines({ encoding: "latin1" })) {
      const line = Buffer.from(raw.endsWith("\r") ? raw.slice(0, -1) : raw, "latin1");
      if (prevEmpty && raw.startsWith("From ")) {
        if (fromLine !== undefined) yield finish(lines, fromLine, fallback);
        fromLine = raw;
        lines = [];
        prevEmpty = false;
        continue;
      }
      prevEmpty = line.length === 0;
      if (fromLine === undefined) {
        if (line.length) throw new Error(`${path} is not an mbox file (no "From " line at the start)`);
        continue;
      }
      lines.push(/^>+From /.test(raw) ? line.subarray(1) : line);
    }
    if (fromLine !== undefined) yield finish(lines, fromLine, fallback);
  } finally {
    await fh.close();
  }
}
