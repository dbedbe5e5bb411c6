export {
  type AdminOptions,
  KICK_REASON,
  type KickTarget,
  MOVE_REASON,
  type MoveResult,
  type ReconnectTarget,
  RoutingAdmin,
} from "./admin.js";
export { RoutingConfigError, RoutingError } from "./errors.js";
export { HealthChecker, type HealthEvent, type HealthOptions, type HostHealth } from "./health-checker.js";
export { greetingProbe, type HealthProbe } from "./health-probe.js";
export type { PoolHost, RoutedHost } from "./host.js";
export { HttpLookup, LOOKUP_FAILED, type LookupAnswer, type LookupOptions } from "./http-lookup.js";
export { type LoginProbeOptions, loginProbe } from "./login-probe.js";
export { Router, type RoutingConfig } from "./router.js";
