import { BackendError } from "../backend.js";
import { ImapCommandError, ImapConnectionError } from "./errors.js";

type Code = BackendError["code"];

const PASSED_THROUGH = new Set<Code>([
  "NONEXISTENT",
  "ALREADYEXISTS",
  "TRYCREATE",
  "CANNOT",
  "LIMIT",
  "OVERQUOTA",
  "NOPERM",
  "INUSE",
  "CORRUPTION",
  "UNAVAILABLE",
  "EXPUNGEISSUED",
  "TOOBIG",
  "HASCHILDREN",
  "SERVERBUG",
]);

/**
 * A backend's refusal as the front end's BackendError: its response code when the front
 * end knows it (the client then gets the same NO [CODE]), CANNOT otherwise. A lost
 * connection is UNAVAILABLE. Anything else is passed on unchanged (a bug: SERVERBUG).
 */
export function toBackendError(error: unknown, fallback: Code = "CANNOT"): unknown {
  if (error instanceof BackendError) return error;
  if (error instanceof ImapConnectionError)
    return new BackendError("UNAVAILABLE", "The mail server is not reachable right now.");
  if (error instanceof ImapCommandError) {
    // Dovecot answers a missing mailbox with a bare NO ("Mailbox doesn't exist") for
    // SELECT/STATUS and NO [TRYCREATE] for APPEND/COPY; the front end wants NONEXISTENT
    // (it turns that into TRYCREATE where RFC 9051 asks for it).
    if (
      error.code?.name === "TRYCREATE" ||
      (!error.code && /doesn't exist|does not exist|no such mailbox/i.test(error.text))
    ) {
      return new BackendError("NONEXISTENT", error.text || "No such mailbox.");
    }
    const name = error.code?.name;
    const code = name && PASSED_THROUGH.has(name as Code) ? (name as Code) : name === "READ-ONLY" ? "NOPERM" : fallback;
    return new BackendError(code, error.text || "The mail server refused the command.");
  }
  return error;
}
