export { AuthThrottle, type AuthThrottleOptions } from "./auth-throttle.js";
export {
  type AppendInput,
  type AppendTransaction,
  type AuthContext,
  type Authenticator,
  type Backend,
  BackendError,
  type BackendSession,
  type ConnectionTakeover,
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
export {
  createPassthroughBackend,
  type PassthroughBackendOptions,
  PassthroughConfigError,
  splice,
} from "./passthrough/index.js";
export {
  DEFAULT_HEADER_TIMEOUT_MS,
  DEFAULT_MAX_HEADER_BYTES,
  type EncodeProxyV2Input,
  encodeProxyV2,
  type ParseProxyHeaderOptions,
  type ProxyEndpoint,
  type ProxyFamily,
  type ProxyHeader,
  ProxyProtocolError,
  type ProxyProtocolErrorCode,
  parseProxyHeader,
  type ReadProxyHeaderOptions,
  readProxyHeader,
  TrustedNetworkError,
  TrustedNetworks,
} from "./proxy-protocol/index.js";
export {
  type BackendHost,
  type BackendLogin,
  type CommandHandlers,
  type ConnectionFailure,
  createRemoteBackend,
  ImapClient,
  type ImapClientOptions,
  ImapCommandError,
  ImapConnectionError,
  isConnectionError,
  type LiteralEvent,
  LoginRefusedError,
  type MailboxEventListener,
  MailboxNames,
  type RemoteBackend,
  type RemoteBackendOptions,
  type RemoteSession,
  saslPlain,
  type TaggedResult,
} from "./remote/index.js";
export {
  type AdminOptions,
  greetingProbe,
  HealthChecker,
  type HealthEvent,
  type HealthOptions,
  type HealthProbe,
  type HostHealth,
  HttpLookup,
  KICK_REASON,
  type KickTarget,
  LOOKUP_FAILED,
  type LoginProbeOptions,
  type LookupAnswer,
  type LookupOptions,
  loginProbe,
  MOVE_REASON,
  type MoveResult,
  type PoolHost,
  type ReconnectTarget,
  type RoutedHost,
  Router,
  RoutingAdmin,
  type RoutingConfig,
  RoutingConfigError,
  RoutingError,
} from "./routing/index.js";
export { ImapServer, type ImapServerOptions, type ListenOptions } from "./server.js";
