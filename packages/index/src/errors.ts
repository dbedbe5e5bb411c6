/** Base class of every error this package throws, so callers can catch them as one kind. */
export class IndexError extends Error {
  override name = "IndexError";
}

/** Bad input from the caller (a flag, a keyword, a UID set, a size...). Nothing was written. */
export class IndexInputError extends IndexError {
  override name = "IndexInputError";
}

/** Another process holds the mailbox's lock file (or this process already has a writer open). */
export class IndexLockedError extends IndexError {
  override name = "IndexLockedError";
  constructor(
    readonly folder: string,
    readonly holderPid: number | undefined,
    detail: string,
  ) {
    super(`mailbox index ${folder} is locked: ${detail}`);
  }
}

/** The index was opened read-only (by request, or because damage could not be repaired). */
export class IndexReadOnlyError extends IndexError {
  override name = "IndexReadOnlyError";
}

/** The index was closed, or a failed fsync poisoned it: reopen it to go on. */
export class IndexClosedError extends IndexError {
  override name = "IndexClosedError";
}

/** The folder holds no index (and create was not requested), or its files cannot be used at all. */
export class IndexNotFoundError extends IndexError {
  override name = "IndexNotFoundError";
}

/**
 * A read view was left behind too far (its change feed was trimmed, see
 * `MailboxIndexOptions.maxJournal`): the caller must resynchronise from a full listing.
 */
export class ViewExpiredError extends IndexError {
  override name = "ViewExpiredError";
}
