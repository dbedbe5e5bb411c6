import { BackendError } from "../backend.js";

/**
 * A routing failure. It is a BackendError with code UNAVAILABLE, so when it reaches the
 * front end during LOGIN the client gets `NO [UNAVAILABLE]` with the message, and the
 * session (and the process) carry on.
 */
export class RoutingError extends BackendError {
  override name = "RoutingError";
  /**
   * @param message what the client (or admin) is told
   * @param detail for logs only (addresses of internal services stay out of client replies)
   */
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super("UNAVAILABLE", message);
  }
}

/** A configuration mistake in a pool (duplicate host id, weight <= 0, unknown map target). */
export class RoutingConfigError extends Error {
  override name = "RoutingConfigError";
}
