/**
 * LIST pattern matching (RFC 9051 §6.3.9): the reference and the pattern are joined, then
 * `*` matches anything and `%` anything but the hierarchy delimiter. INBOX matches without
 * regard to case.
 */
export function matchesListPattern(name: string, reference: string, pattern: string, delimiter = "/"): boolean {
  const full = pattern.startsWith(delimiter) || reference === "" ? pattern : `${reference}${pattern}`;
  let re = "^";
  for (const c of full) {
    if (c === "*") re += ".*";
    else if (c === "%") re += `[^${delimiter.replace(/[\\\]^-]/g, "\\$&")}]*`;
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  re += "$";
  const candidate = /^inbox$/i.test(name.split(delimiter)[0] ?? "") ? name.replace(/^inbox/i, "INBOX") : name;
  const target = new RegExp(re, /^inbox/i.test(full) ? "i" : "");
  return target.test(candidate);
}
