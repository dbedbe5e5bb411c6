import type { Socket } from "node:net";
import { relayInLargeChunks } from "../large-reads.js";
import type { Logger } from "../logger.js";

/**
 * Join a client and a backend connection byte for byte (what Dovecot's proxy, nginx and
 * perdition do after login). `toBackend`/`toClient` are bytes each side sent before the
 * splice that the other must still get; they are written first, in order.
 *
 * - Back-pressure: the reading side pauses while the other's buffer is full.
 * - Both directions go straight from the read buffers to the other socket (large-reads.ts
 *   relayInLargeChunks: reads of up to 1 MiB, no copy while a stream runs, no readable-
 *   stream step per chunk): backend → client carries FETCH bodies, nearly all the bytes;
 *   client → backend commands and APPEND literals. A socket that cannot be switched (TLS)
 *   is piped.
 * - Half-close: an end from one side ends the other's writable side (pipe's `end`), so a
 *   BYE the backend sends before closing still reaches the client.
 * - Errors and closes: an error on either side destroys both; when the backend closes, the
 *   client is ended (flushing what is queued) and destroyed shortly after; when the client
 *   closes, the backend is destroyed at once (nobody is left to read its answers).
 * No IMAP is parsed and no session state is kept: no failover in this mode, by design.
 */
export function splice(
  client: Socket,
  backend: Socket,
  pending: { toBackend: Buffer; toClient: Buffer },
  log: Logger,
): void {
  if (client.destroyed || backend.destroyed) {
    client.destroy();
    backend.destroy();
    return;
  }
  const fail = (side: string) => (error: Error) => {
    log.debug({ side, err: error.message }, "spliced connection error");
    client.destroy();
    backend.destroy();
  };
  client.on("error", fail("client"));
  backend.on("error", fail("backend"));
  backend.once("close", () => {
    if (client.destroyed) return;
    client.end();
    setTimeout(() => client.destroy(), 2000).unref();
  });
  client.once("close", () => backend.destroy());
  if (pending.toClient.length > 0) client.write(pending.toClient);
  if (pending.toBackend.length > 0) backend.write(pending.toBackend);
  if (!relayInLargeChunks(client, backend)) client.pipe(backend);
  if (!relayInLargeChunks(backend, client)) backend.pipe(client);
}
