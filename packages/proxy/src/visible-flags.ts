/** IMAP4rev2 has no \\Recent (RFC 9051 §2.3.2): once it is enabled, no flag list shows it. */
export function visibleFlags(enabled: ReadonlySet<string>, flags: readonly string[]): string[] {
  return enabled.has("IMAP4rev2") ? flags.filter((f) => !/^\\recent$/i.test(f)) : [...flags];
}
