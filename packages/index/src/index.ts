export { compareStates } from "./compare.js";
export {
  IndexClosedError,
  IndexError,
  IndexInputError,
  IndexLockedError,
  IndexNotFoundError,
  IndexReadOnlyError,
  ViewExpiredError,
} from "./errors.js";
export { ALL_SYSTEM_FLAGS, checkKeyword, type ParsedFlags, parseFlags, SystemFlag, systemFlagNames } from "./flags.js";
export {
  BLOCK_SIZE,
  EXTRA_KEYWORD_ENTRY_SIZE,
  entriesPerBlock,
  FileName,
  FORMAT_VERSION,
  KEYWORD_ENTRY_SIZE,
  LOG_SEED,
  MAX_KEYWORD_LENGTH,
  MAX_KEYWORDS,
  MESSAGE_RECORD_SIZE,
  SNAPSHOT_SEED,
  TOMBSTONE_ENTRY_SIZE,
} from "./format.js";
export { errorCode, type IndexFile, type IndexFs, nodeFs, type OpenMode } from "./fs.js";
export { MailboxLock, processStartTime } from "./lock.js";
export { decodeBatch, encodeBatch } from "./log-format.js";
export { type LogDamage, type LogScan, type LogTail, logCodec, scanLog } from "./log-scan.js";
export {
  type FsyncMode,
  MailboxIndex,
  type MailboxIndexOptions,
  type MailboxStatus,
} from "./mailbox-index.js";
export type { MessageRecord } from "./message-table.js";
export type { Operation, Transaction } from "./operations.js";
export { type RebuildInput, type RebuildOptions, rebuildIndex } from "./rebuild.js";
export {
  counterBound,
  type LogCheck,
  type RecoveryReport,
  recover,
  type SnapshotCheck,
} from "./recovery.js";
export { encodeSnapshot, readSnapshot, readSnapshotHeader, type SnapshotHeader } from "./snapshot.js";
export { loadSnapshotFile } from "./snapshot-stream.js";
export { type Change, MailboxState, ReplayError } from "./state.js";
export {
  type AppendInput,
  type CommitResult,
  type StoreMode,
  type StoreOptions,
  WriteTransaction,
} from "./transaction.js";
export { formatUidRanges, parseUidSet, type UidRanges, type UidSetInput } from "./uid-set.js";
export {
  type RepairOptions,
  type RepairReport,
  repair,
  type VerifyOptions,
  type VerifyReport,
  verify,
} from "./verify.js";
export { type MessageInfo, ReadView, type SyncResult } from "./view.js";
