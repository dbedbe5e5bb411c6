import { get as httpGetPlain } from "node:http";
import { get as httpsGet } from "node:https";
import { type Logger, silentLogger } from "../logger.js";
import { RoutingError } from "./errors.js";
import { TtlCache } from "./ttl-cache.js";

/*
 * Routing by HTTP lookup: GET a configured URL with the user in it; the answer says where
 * the user lives.
 *
 *   200 {"host": "10.0.0.7", "port": 143, "destuser": "alice@store7"}   found (destuser optional)
 *   404                                                                   no such user
 *   anything else, a timeout, a body that is not that JSON                an error
 *
 * Found answers are cached for `ttlMs`, "no such user" for `negativeTtlMs`; errors are not
 * cached (the next login asks again), but concurrent lookups of one user share one request
 * so a slow lookup service is not stampeded. The cache holds at most `maxEntries` users.
 * Nothing here throws anything but RoutingError (→ NO [UNAVAILABLE] at login, with a
 * generic text; the reason is logged and kept in `detail`).
 */

export interface LookupOptions {
  /** URL template; `{user}` is replaced by the URL-encoded user name. */
  url: string;
  /** How long a found answer is reused (ms). Default 60 s. */
  ttlMs?: number;
  /** How long "no such user" (404) is reused (ms). Default 10 s. */
  negativeTtlMs?: number;
  /** Request timeout, connect to end of body (ms). Default 2 s. */
  timeoutMs?: number;
  /** Most users cached. Default 10,000. */
  maxEntries?: number;
  /** Extra request headers (e.g. authorization for the lookup service). */
  headers?: Record<string, string>;
  /** Clock (tests). */
  now?: () => number;
  /** Lookup failures are logged here (warn). */
  logger?: Logger;
}

export interface LookupAnswer {
  host: string;
  port: number;
  /** The user name to log in to the backend with. */
  destuser?: string;
}

/** What a client is told when the lookup fails (details are logged). */
export const LOOKUP_FAILED = "Cannot find the mail server of this account right now; try again later.";

/** Largest lookup response body accepted. */
const MAX_BODY = 16 * 1024;

export class HttpLookup {
  private readonly cache: TtlCache<LookupAnswer | null>;
  private readonly inFlight = new Map<string, Promise<LookupAnswer | null>>();
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly timeoutMs: number;
  private readonly log: Logger;
  /** Requests actually sent (for tests and metrics). */
  requests = 0;

  constructor(private readonly options: LookupOptions) {
    if (!options.url.includes("{user}")) throw new RoutingError(`lookup url must contain {user}: ${options.url}`);
    let probe: URL;
    try {
      probe = new URL(options.url.replace("{user}", "x"));
    } catch {
      throw new RoutingError(`lookup url is not a valid URL: ${options.url}`);
    }
    if (probe.protocol !== "http:" && probe.protocol !== "https:") {
      throw new RoutingError(`lookup url must be http or https: ${options.url}`);
    }
    this.ttlMs = options.ttlMs ?? 60_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.log = options.logger ?? silentLogger;
    this.cache = new TtlCache(options.maxEntries ?? 10_000, options.now);
  }

  /** Where `user` lives; null when the lookup service does not know the user. */
  async resolve(user: string): Promise<LookupAnswer | null> {
    const cached = this.cache.get(user);
    if (cached) return cached.value;
    const running = this.inFlight.get(user);
    if (running) return running;
    const request = this.fetchAnswer(user)
      .catch((error: Error) => {
        // The client is told only that the lookup failed; the why (service address,
        // status, bad JSON) goes to the log.
        const detail = error.message;
        this.log.warn({ user, err: detail }, "backend lookup failed");
        throw new RoutingError(LOOKUP_FAILED, detail);
      })
      .finally(() => this.inFlight.delete(user));
    this.inFlight.set(user, request);
    const answer = await request;
    this.cache.set(user, answer, answer ? this.ttlMs : this.negativeTtlMs);
    return answer;
  }

  /** Forget a user's cached answer (admin move). */
  forget(user: string): void {
    this.cache.delete(user);
  }

  private async fetchAnswer(user: string): Promise<LookupAnswer | null> {
    const url = this.options.url.replaceAll("{user}", encodeURIComponent(user));
    this.requests++;
    let status: number;
    let text: string;
    try {
      ({ status, text } = await httpGet(url, this.options.headers ?? {}, this.timeoutMs));
    } catch (error) {
      throw new RoutingError((error as Error).message);
    }
    if (status === 404) return null;
    // A redirect is not followed (it would send user names elsewhere): it is an error.
    if (status < 200 || status > 299) throw new RoutingError(`HTTP ${status}`);
    return parseAnswer(text);
  }
}

/**
 * One GET with node:http(s) (not fetch: fetch refuses "bad ports" such as 6000 or 10080 that
 * a lookup service may well use). The timeout covers connect to the end of the body; the
 * body is read up to MAX_BODY bytes.
 */
function httpGet(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(error);
    };
    const get = url.startsWith("https:") ? httpsGet : httpGetPlain;
    const request = get(url, { headers: { accept: "application/json", ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("error", (error) => fail(error));
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) fail(new Error(`response larger than ${MAX_BODY} bytes`));
        else chunks.push(chunk);
      });
      response.on("end", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    request.on("error", (error) => fail(error));
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
}

/** Check the JSON shape strictly: a wrong answer must not send a user to a wrong place. */
export function parseAnswer(text: string): LookupAnswer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RoutingError("backend lookup answered with invalid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RoutingError("backend lookup answer is not a JSON object");
  }
  const { host, port, destuser } = value as Record<string, unknown>;
  if (typeof host !== "string" || host.length === 0 || host.length > 255 || /[\s/]/.test(host)) {
    throw new RoutingError("backend lookup answer has no valid host");
  }
  const portNumber = typeof port === "string" && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof portNumber !== "number" || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
    throw new RoutingError("backend lookup answer has no valid port");
  }
  if (
    destuser !== undefined &&
    destuser !== null &&
    (typeof destuser !== "string" ||
      destuser.length === 0 ||
      destuser.length > 255 ||
      /[\u0000-\u001f\u007f]/.test(destuser))
  ) {
    throw new RoutingError("backend lookup answer has an invalid destuser");
  }
  return typeof destuser === "string" ? { host, port: portNumber, destuser } : { host, port: portNumber };
}
