/** Base class of every error this package throws, so callers can catch them as one kind. */
export class StoreError extends Error {
  override name = "StoreError";
}

/** Bad input from the caller (a user name, a mailbox name, a flag, a search key...). Nothing was changed. */
export class StoreInputError extends StoreError {
  override name = "StoreInputError";
}

/** The store was opened read-only (`Store.open(dir, { readOnly: true })`): nothing may be changed. */
export class StoreReadOnlyError extends StoreError {
  override name = "StoreReadOnlyError";
}

/** The named user does not exist. */
export class UserNotFoundError extends StoreError {
  override name = "UserNotFoundError";
}

/** A user with that name (after case folding) exists already. */
export class UserExistsError extends StoreError {
  override name = "UserExistsError";
}

/** The named mailbox does not exist (or is \Noselect where a selectable mailbox is needed). */
export class MailboxNotFoundError extends StoreError {
  override name = "MailboxNotFoundError";
}

/** The mailbox exists already (CREATE, RENAME target). */
export class MailboxExistsError extends StoreError {
  override name = "MailboxExistsError";
}

/** The operation is not allowed on this mailbox (deleting INBOX, deleting a \Noselect parent...). */
export class MailboxOperationError extends StoreError {
  override name = "MailboxOperationError";
}

/**
 * A mailbox's index cannot be used: it is missing (run repair to rebuild it from blobs) or
 * damaged beyond what its redundant copies cover (it is then served read-only).
 */
export class MailboxDamagedError extends StoreError {
  override name = "MailboxDamagedError";
}

/** A message blob is missing or fails its checksums: its bytes are never served. */
export class BlobDamagedError extends StoreError {
  override name = "BlobDamagedError";
  constructor(
    readonly guid: string,
    readonly reason: string,
  ) {
    super(`message blob ${guid} is damaged: ${reason}`);
  }
}

/** A store file (user database, mailbox list) and its backup are both unreadable. */
export class StoreFileDamagedError extends StoreError {
  override name = "StoreFileDamagedError";
}

/** The message is larger than the configured limit (nothing was stored). */
export class MessageTooLargeError extends StoreError {
  override name = "MessageTooLargeError";
}

/** The store, user or session was closed. */
export class StoreClosedError extends StoreError {
  override name = "StoreClosedError";
}

/** The message was expunged (by another session) and its blob is gone: FETCH answers NO. */
export class MessageExpungedError extends StoreError {
  override name = "MessageExpungedError";
}

/** Another process has the data folder open (its lock file names a live process). */
export class StoreLockedError extends StoreError {
  override name = "StoreLockedError";
}
