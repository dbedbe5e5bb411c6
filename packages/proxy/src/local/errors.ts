import {
  BlobDamagedError,
  MailboxDamagedError,
  MailboxExistsError,
  MailboxNotFoundError,
  MailboxOperationError,
  MessageTooLargeError,
  StoreInputError,
} from "@holdfast/store";
import { BackendError } from "../backend.js";

/** Store failures as the response codes a client understands; anything else is rethrown. */
export function toBackendError(error: unknown): unknown {
  if (error instanceof MailboxNotFoundError) return new BackendError("NONEXISTENT", error.message);
  if (error instanceof MailboxExistsError) return new BackendError("ALREADYEXISTS", error.message);
  if (error instanceof MailboxOperationError) return new BackendError("CANNOT", error.message);
  if (error instanceof MessageTooLargeError) return new BackendError("TOOBIG", error.message);
  if (error instanceof StoreInputError) return new BackendError("CANNOT", error.message);
  if (error instanceof BlobDamagedError || error instanceof MailboxDamagedError) {
    return new BackendError("CORRUPTION", error.message);
  }
  return error;
}

/** Run a store call, translating its errors. */
export async function storeCall<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toBackendError(error);
  }
}
