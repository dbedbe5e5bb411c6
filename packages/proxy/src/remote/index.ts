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
export { saslPlain } from "./sasl-plain.js";
export type { BackendHost, BackendLogin, ImapClientOptions, RemoteBackendOptions } from "./types.js";
