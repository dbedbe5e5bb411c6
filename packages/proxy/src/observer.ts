/**
 * What the front end reports for metrics. The library does not depend on a metrics system;
 * the daemon implements this (with prom-client) and reads connection counts itself.
 */
export interface ServerObserver {
  /** A command finished: its name (UID commands as "UID FETCH"...), its result, its duration. */
  command(name: string, result: "OK" | "NO" | "BAD" | "BYE", seconds: number): void;
  bytesIn(n: number): void;
  bytesOut(n: number): void;
  authFailure(): void;
  /** A store or backend error reached a client as NO (damage included). */
  backendError(code: string): void;
}

export const nullObserver: ServerObserver = {
  command() {},
  bytesIn() {},
  bytesOut() {},
  authFailure() {},
  backendError() {},
};
