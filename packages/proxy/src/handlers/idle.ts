import type { ImapConnection } from "../connection.js";

/*
 * IDLE (RFC 2177, RFC 9051 §6.3.13): changes by other sessions are pushed as they happen,
 * expunges included (IDLE is a command in progress, not FETCH/STORE/SEARCH).
 */

export async function startIdle(conn: ImapConnection, tag: string): Promise<void> {
  conn.idling = tag;
  await conn.send({ kind: "continuation", text: "idling" });
  await conn.flushNotifications({ expunge: true });
  conn.applyTimeout();
  conn.awaitIdleDone();
}

export async function endIdle(conn: ImapConnection): Promise<void> {
  const tag = conn.idling;
  if (tag === null) return;
  await conn.selected?.mailbox.poll();
  conn.idling = null;
  conn.applyTimeout();
  await conn.tagged(tag, "OK", "IDLE terminated.", undefined, { expunge: true });
}
