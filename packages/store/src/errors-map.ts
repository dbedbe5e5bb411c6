import { IndexClosedError, IndexError, IndexInputError, IndexReadOnlyError, ViewExpiredError } from "@holdfast/index";
import { MailboxDamagedError, StoreClosedError, StoreError, StoreInputError } from "./errors.js";

/** Turn an index error into the store's own kind (other errors pass through unchanged). */
export function translateIndexError(error: unknown, mailbox: string): unknown {
  if (error instanceof StoreError || !(error instanceof IndexError)) return error;
  let out: StoreError;
  if (error instanceof IndexInputError) out = new StoreInputError(error.message);
  else if (error instanceof IndexReadOnlyError) out = new MailboxDamagedError(`mailbox ${mailbox}: ${error.message}`);
  else if (error instanceof IndexClosedError || error instanceof ViewExpiredError)
    out = new StoreClosedError(`mailbox ${mailbox}: ${error.message}`);
  else out = new StoreError(`mailbox ${mailbox}: ${error.message}`);
  out.cause = error;
  return out;
}
