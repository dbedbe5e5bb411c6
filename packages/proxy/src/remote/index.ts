export {
  type ConnectionFailure,
  ImapCommandError,
  ImapConnectionError,
  isConnectionError,
  LoginRefusedError,
} from "./errors.js";
export {
  type CommandHandlers,
  ImapClient,
  type LiteralEvent,
  type MailboxEventListener,
  type TaggedResult,
} from "./imap-client.js";
export { MailboxNames } from "./mailbox-names.js";
export type { RoutedHost } from "./open-connection.js";
export { createRemoteBackend, type RemoteBackend, RemoteBackendConfigError } from "./remote-backend.js";
export type { RemoteSession } from "./remote-session.js";
export { saslPlain } from "./sasl-plain.js";
export type { BackendHost, BackendLogin, ImapClientOptions, RemoteBackendOptions } from "./types.js";
