export { AuthThrottle, type AuthThrottleOptions } from "./auth-throttle.js";
export {
  type AppendInput,
  type AppendTransaction,
  type AuthContext,
  type Authenticator,
  type Backend,
  BackendError,
  type BackendSession,
  type ListedMailbox,
  type ListOptions,
  type SelectedMailbox,
  type SelectedState,
} from "./backend.js";
export { type CapabilityContext, capabilities } from "./capabilities.js";
export { DEFAULT_TIMEOUTS, type Timeouts } from "./connection.js";
export { matchesListPattern } from "./list-pattern.js";
export { LocalBackend } from "./local/local-backend.js";
export { type Logger, silentLogger } from "./logger.js";
export { nullObserver, type ServerObserver } from "./observer.js";
export { ImapServer, type ImapServerOptions, type ListenOptions } from "./server.js";
