/**
 * Errors this package throws. Bad mail never throws (it degrades as Dovecot does); these
 * are for bad requests from the caller: an unparsable section spec, or a BINARY fetch of a
 * part whose Content-Transfer-Encoding cannot be decoded.
 */
export class MimeError extends Error {
  override name = "MimeError";
}

/** A BODY[...] / BINARY[...] section specifier that does not follow RFC 9051's grammar. */
export class SectionSyntaxError extends MimeError {
  override name = "SectionSyntaxError";
  constructor(
    readonly section: string,
    readonly reason: string,
  ) {
    super(`bad section "${section}": ${reason}`);
  }
}

/**
 * BINARY[...] of a part whose Content-Transfer-Encoding is not one we can decode; IMAP
 * answers it with NO [UNKNOWN-CTE] (RFC 3516 §4.3).
 */
export class UnknownCteError extends MimeError {
  override name = "UnknownCteError";
  constructor(readonly encoding: string) {
    super(`unknown Content-Transfer-Encoding "${encoding}"`);
  }
}

/**
 * BINARY[...] of a part whose encoded content is invalid (bad base64 or quoted-printable);
 * IMAP answers it with NO [PARSE] as Dovecot does.
 */
export class TransferDecodeError extends MimeError {
  override name = "TransferDecodeError";
}
