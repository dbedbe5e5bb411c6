export type { MailboxChange, MessageState, Notification } from "./changes.js";
export { SequenceMapError, SessionError } from "./errors.js";
export { FlagSetTable } from "./flag-sets.js";
export { BETWEEN_COMMANDS, type FlushPermission, flushPermissionFor } from "./flush-rules.js";
export { NotificationQueue, type NotificationQueueOptions } from "./notification-queue.js";
export { type BackendTruth, type ResyncResult, resync } from "./resync.js";
export { type ResolvedSequenceSet, type ResolveOptions, SequenceMap } from "./sequence-map.js";
export {
  formatRanges,
  mergeRanges,
  type NumberRange,
  rangesOf,
  type SeqNumber,
  type SeqRange,
  type SequenceSet,
} from "./sequence-set.js";
