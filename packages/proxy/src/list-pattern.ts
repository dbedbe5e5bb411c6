/**
 * LIST pattern matching (RFC 9051 §6.3.9): the reference and the pattern are joined, then
 * `*` matches anything and `%` anything but the hierarchy delimiter. Names are
 * case-sensitive except INBOX: a first component equal to "inbox" in any case means INBOX,
 * in the name and in the pattern, and the rest still matches case-sensitively.
 */
export function matchesListPattern(name: string, reference: string, pattern: string, delimiter = "/"): boolean {
  const full = pattern.startsWith(delimiter) || reference === "" ? pattern : `${reference}${pattern}`;
  const inbox = (s: string) => s.replace(new RegExp(`^inbox(?=${escapeRegExp(delimiter)}|$)`, "i"), "INBOX");
  let re = "^";
  for (const c of inbox(full)) {
    if (c === "*") re += ".*";
    else if (c === "%") re += `[^${escapeRegExp(delimiter)}]*`;
    else re += escapeRegExp(c);
  }
  return new RegExp(`${re}$`).test(inbox(name));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}
