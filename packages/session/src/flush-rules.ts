/*
 * When may the server tell the client about expunges? RFC 9051 §7.5.1 (and RFC 3501 §7.4.1):
 * an EXPUNGE response MUST NOT be sent when no command is in progress, nor while
 * responding to a FETCH, STORE or SEARCH command, because those name messages by sequence
 * number and the client would lose track of which message is which. UID FETCH, UID STORE
 * and UID SEARCH are different commands, during which EXPUNGE may be sent.
 *
 * Holdfast is stricter in one place: it also holds expunges back during any other command
 * that takes message sequence numbers (COPY, MOVE, SORT, THREAD without UID), since the
 * same confusion applies there. A MOVE's own expunges are the command's result and are
 * not notifications.
 *
 * EXISTS and FETCH (flag changes) do not renumber messages and may be sent whenever a
 * response is being sent.
 */

/** What may go out at a point where responses are being written. */
export interface FlushPermission {
  expunge: boolean;
}

const BY_SEQUENCE_NUMBER = new Set(["FETCH", "STORE", "SEARCH", "COPY", "MOVE", "SORT", "THREAD"]);

/**
 * Permission for untagged responses sent while a command is in progress (during it or
 * just before its tagged completion). `command` is the command name in upper case
 * (e.g. "FETCH", "NOOP", "IDLE"); `uid` is true for the UID variants.
 */
export function flushPermissionFor(command: string, uid: boolean): FlushPermission {
  return { expunge: uid || !BY_SEQUENCE_NUMBER.has(command.toUpperCase()) };
}

/** No command in progress: nothing that renumbers messages may be sent. */
export const BETWEEN_COMMANDS: FlushPermission = Object.freeze({ expunge: false });
