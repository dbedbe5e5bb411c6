import type { ResponseCode } from "@holdfast/imap-codec";

/*
 * Errors of the backend connection. The session layer sorts them in two kinds:
 * - connection failures (`ImapConnectionError`: reset, timeout, BYE, TLS, protocol): the
 *   connection is gone; failover may reconnect and re-issue what is safe to re-issue;
 * - command refusals (`ImapCommandError`: a tagged NO or BAD): the backend is healthy and
 *   said no; these turn into BackendError for the client and never trigger failover.
 */

export type ConnectionFailure = "CONNECT" | "TIMEOUT" | "TLS" | "CLOSED" | "BYE" | "PROTOCOL";

export class ImapConnectionError extends Error {
  override name = "ImapConnectionError";
  constructor(
    readonly kind: ConnectionFailure,
    message: string,
  ) {
    super(message);
  }
}

export class ImapCommandError extends Error {
  override name = "ImapCommandError";
  constructor(
    readonly status: "NO" | "BAD",
    readonly code: ResponseCode | undefined,
    readonly text: string,
    readonly command: string,
  ) {
    super(`${command}: ${status}${code ? ` [${code.name === "OTHER" ? code.atom : code.name}]` : ""} ${text}`);
  }
}

/** The backend refused the credentials (AUTHENTICATIONFAILED or a plain NO to LOGIN). */
export class LoginRefusedError extends Error {
  override name = "LoginRefusedError";
  constructor(
    message: string,
    /** The backend said it is temporarily unable (UNAVAILABLE): try another host. */
    readonly temporary: boolean,
  ) {
    super(message);
  }
}

export function isConnectionError(error: unknown): error is ImapConnectionError {
  return error instanceof ImapConnectionError;
}
