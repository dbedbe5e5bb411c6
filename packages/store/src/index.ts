export type { MessageInfo, SyncResult, UidSetInput } from "@holdfast/index";
export {
  BLOB_FORMAT_VERSION,
  BLOB_HEADER_SEED,
  BLOB_MAGIC,
  type BlobHeader,
  decodeBlobHeader,
  encodeBlobHeader,
  guidToHex,
} from "./blob-format.js";
export { SLOT_NAME, SLOT_SUFFIX } from "./blob-slots.js";
export type { BlobOrigin, MessageSource } from "./blob-store.js";
export {
  BlobDamagedError,
  MailboxDamagedError,
  MailboxExistsError,
  MailboxNotFoundError,
  MailboxOperationError,
  MessageExpungedError,
  MessageTooLargeError,
  StoreClosedError,
  StoreError,
  StoreFileDamagedError,
  StoreInputError,
  StoreLockedError,
  StoreReadOnlyError,
  UserExistsError,
  UserNotFoundError,
} from "./errors.js";
export { DEFAULT_MAILBOXES, SPECIAL_USES, type SpecialUse } from "./mailbox-list.js";
export {
  type AdoptReport,
  type DamagedBlob,
  type MailboxVerifyReport,
  RECOVERED_MAILBOX,
  type RebuildReport,
  type ReclaimReport,
  type UserRepairReport,
  type UserVerifyReport,
} from "./maintenance.js";
export type { MessageStructure } from "./mime-adapter.js";
export {
  ancestorsOf,
  canonicalMailboxName,
  canonicalUsername,
  HIERARCHY_DELIMITER,
  MAX_MAILBOX_COMPONENT_BYTES,
  MAX_MAILBOX_DEPTH,
  MAX_MAILBOX_NAME_BYTES,
  MAX_USERNAME_LENGTH,
  userFolderName,
} from "./names.js";
export { DEFAULT_SCRYPT, type PasswordHash, type ScryptParams } from "./password.js";
export {
  type CopyState,
  decodeRecordFile,
  encodeRecordFile,
  MailboxListFile,
  RECORD_FILE_SEED,
  RECORD_FILE_VERSION,
  type RecordFileKind,
  UserDatabaseFile,
} from "./record-file.js";
export { compileSearch, type FlagName, type SearchKey, type SearchResult } from "./search.js";
export { MailboxSession } from "./session.js";
export { Store, type StoreOptions, type StoreRepairReport, type StoreVerifyReport } from "./store.js";
export { ensureDurableDir, nodeStoreFs, type StoreFs } from "./store-fs.js";
export {
  checkStructureEntry,
  decodeStructureEntry,
  encodeStructureEntry,
  STRUCTURE_CACHE_SEED,
  type StructureEntryCheck,
} from "./structure-cache.js";
export type {
  AppendOptions,
  AppendResult,
  CopyResult,
  FlagStoreMode,
  FlagStoreResult,
  MailboxCounters,
  MailboxInfo,
  MoveResult,
  UidSet,
} from "./types.js";
export { UserDatabase, type UserInfo } from "./user-database.js";
export {
  type UnsettledRecoveryReport,
  UserStore,
  type WithdrawnAppend,
  WRITER_MARKER,
} from "./user-store.js";
