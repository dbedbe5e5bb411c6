/**
 * SASL PLAIN (RFC 4616): base64 of `authzid NUL authcid NUL password`. An empty authzid
 * means "act as authcid"; with a master user, authzid is the user to act as.
 */
export function saslPlain(authzid: string, authcid: string, password: string): string {
  for (const [what, value] of [
    ["authzid", authzid],
    ["authcid", authcid],
    ["password", password],
  ] as const) {
    if (value.includes("\0")) throw new TypeError(`SASL PLAIN ${what} must not contain NUL`);
  }
  return Buffer.from(`${authzid}\0${authcid}\0${password}`, "utf8").toString("base64");
}
