import { createServer, connect as netConnect, type Socket } from "node:net";
import type { Listening } from "./proxy-in-front.js";

/*
 * A loopback TCP relay in front of a server whose tests decide, per chunk, what each
 * direction carries on: forward it, change it, hold it, or cut the connection (fault
 * injection, reordering). Either side closing or failing closes both.
 */

/** Both ends of one relayed connection. */
export interface RelayedConnection {
  client: Socket;
  upstream: Socket;
  /** Close both ends at once. */
  kill(): void;
}

/** What to do with each chunk; a direction without a handler is forwarded as it is. */
export interface RelayHandlers {
  toServer?(data: Buffer, c: RelayedConnection): void;
  toClient?(data: Buffer, c: RelayedConnection): void;
}

export interface TamperingRelay extends Listening {
  close(): void;
}

/** `handlersFor` runs once per connection, so handlers can keep per-connection state. */
export function startTamperingRelay(target: Listening, handlersFor: () => RelayHandlers): Promise<TamperingRelay> {
  const relay = createServer((client: Socket) => {
    const upstream = netConnect(target.port, target.host);
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on("error", kill);
      s.on("close", kill);
    }
    const c: RelayedConnection = { client, upstream, kill };
    const { toServer, toClient } = handlersFor();
    client.on("data", (d: Buffer) => (toServer ? toServer(d, c) : upstream.write(d)));
    upstream.on("data", (d: Buffer) => (toClient ? toClient(d, c) : client.write(d)));
  });
  return new Promise((resolve) =>
    relay.listen(0, "127.0.0.1", () =>
      resolve({ host: "127.0.0.1", port: (relay.address() as { port: number }).port, close: () => relay.close() }),
    ),
  );
}
