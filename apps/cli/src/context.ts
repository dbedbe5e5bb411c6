/**
 * Where the data is and how to open it: the same configuration resolution as holdfast-proxy
 * (`--config FILE`, else $HOLDFAST_CONFIG, else ./holdfast.toml, else the defaults: data in
 * ./var/data), imported from the daemon's package so the two never disagree.
 */
import type { Store } from "@holdfast/store";
import { CliError } from "./errors.js";

// Loaded on first use: `--help` and usage errors stay fast (no store, no config parser).

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  json?: boolean;
  debug?: boolean;
}

export async function resolveDataDir(g: GlobalOptions): Promise<string> {
  const { loadConfig, resolvePath } = await import("holdfast-proxy");
  if (g.dataDir) return resolvePath(process.cwd(), g.dataDir);
  const { config } = await loadConfig(g.config);
  return resolvePath(process.cwd(), config.data_dir);
}

/**
 * How a command opens the store. `read`: `Store.open(dir, { readOnly: true })` — no writer
 * lock, nothing written, so it works while holdfast-proxy runs (what it shows is the state
 * on disk at that moment; the unclean-shutdown check of a crashed writer has not run, only a
 * writable open runs it). `write`: the store's writer lock, one process at a time.
 */
export type StoreAccess = "read" | "write";

/**
 * Open the store. A write command whose data folder is held by holdfast-proxy (or another
 * writing command) fails with one clear line naming the process.
 */
export async function openStore(g: GlobalOptions, access: StoreAccess): Promise<Store> {
  const dir = await resolveDataDir(g);
  const [{ Store, StoreLockedError }, { IndexLockedError }] = await Promise.all([
    import("@holdfast/store"),
    import("@holdfast/index"),
  ]);
  if (access === "read") return Store.open(dir, { readOnly: true });
  try {
    return await Store.open(dir);
  } catch (error) {
    // StoreLockedError carries the index's IndexLockedError (with the holder's pid) as cause.
    const cause = (error as { cause?: unknown }).cause;
    const locked = error instanceof IndexLockedError ? error : cause instanceof IndexLockedError ? cause : undefined;
    if (locked || error instanceof StoreLockedError)
      throw new CliError(
        `data folder ${dir} is locked by process ${locked?.holderPid ?? "?"}: holdfast-proxy (or another holdfast command that writes) holds the store's writer lock; stop it to run this command (read-only commands work while it runs)`,
      );
    throw error;
  }
}

/** Run `fn` with the store open for `access` and always close it. */
export async function withStore<T>(
  g: GlobalOptions,
  access: StoreAccess,
  fn: (store: Store) => Promise<T>,
): Promise<T> {
  const store = await openStore(g, access);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
