import type { Socket } from "node:net";
import { DEFAULT_MAX_HEADER_BYTES, parseProxyHeader } from "./parse.js";
import { type ProxyHeader, ProxyProtocolError } from "./types.js";

export interface ReadProxyHeaderOptions {
  /** How long the peer has to send the whole header. Default 5 s. */
  timeoutMs?: number;
  /** Largest header accepted. Default 4096 bytes. */
  maxBytes?: number;
}

export const DEFAULT_HEADER_TIMEOUT_MS = 5000;

/**
 * Read the PROXY header a trusted peer must send first. Resolves once it is complete, with
 * the socket paused and the bytes that followed the header pushed back into it (`unshift`),
 * so the next reader — the IMAP connection or a TLS layer — sees the stream exactly from the
 * first byte after the header. Rejects with ProxyProtocolError (not a header, malformed, too
 * large, timed out, peer gone); the caller closes the socket. Never holds more than
 * `maxBytes` (+ one chunk) of input.
 */
export function readProxyHeader(socket: Socket, options: ReadProxyHeaderOptions = {}): Promise<ProxyHeader> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_HEADER_BYTES;
  return new Promise<ProxyHeader>((resolve, reject) => {
    let input: Buffer = Buffer.alloc(0);
    const timer = setTimeout(
      () => fail(new ProxyProtocolError("TIMEOUT", "PROXY header not received in time")),
      options.timeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS,
    );
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", onError);
    };
    const fail = (error: ProxyProtocolError) => {
      cleanup();
      reject(error);
    };
    const onEnd = () =>
      fail(new ProxyProtocolError("CLOSED", "peer closed the connection before the PROXY header was complete"));
    const onError = (error: Error) =>
      fail(new ProxyProtocolError("CLOSED", `socket error before the PROXY header was complete: ${error.message}`));
    const onData = (chunk: Buffer) => {
      input = input.length === 0 ? chunk : Buffer.concat([input, chunk]);
      let parsed: ReturnType<typeof parseProxyHeader>;
      try {
        parsed = parseProxyHeader(input, { maxBytes });
      } catch (error) {
        fail(error instanceof ProxyProtocolError ? error : new ProxyProtocolError("MALFORMED", String(error)));
        return;
      }
      if (parsed === null) {
        // parsers bound what they wait for; this guards the total against odd chunking
        if (input.length > maxBytes)
          fail(new ProxyProtocolError("TOO_LARGE", `no complete PROXY header in ${input.length} bytes`));
        return;
      }
      // pause before the listener goes, so no chunk is emitted to nobody
      socket.pause();
      cleanup();
      const rest = input.subarray(parsed.length);
      if (rest.length > 0) socket.unshift(rest);
      resolve(parsed.header);
    };
    socket.on("data", onData);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
    socket.once("error", onError);
  });
}
