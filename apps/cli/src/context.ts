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
 * Open the store (one process per data folder). When holdfast-proxy (or another command)
 * holds it, fail with one clear line.
 */
export async function openStore(g: GlobalOptions): Promise<Store> {
  const dir = await resolveDataDir(g);
  const [{ Store }, { IndexLockedError }] = await Promise.all([import("@holdfast/store"), import("@holdfast/index")]);
  try {
    return await Store.open(dir);
  } catch (error) {
    // The store wraps the index's lock error (StoreLockedError, cause IndexLockedError) in
    // newer versions; either way the holder's pid is on the IndexLockedError.
    const cause = (error as { cause?: unknown }).cause;
    const locked = error instanceof IndexLockedError ? error : cause instanceof IndexLockedError ? cause : undefined;
    if (locked || (error as Error).name === "StoreLockedError")
      throw new CliError(
        `data folder ${dir} is in use by process ${locked?.holderPid ?? "?"} (is holdfast-proxy running? stop it first)`,
      );
    throw error;
  }
}

/** Run `fn` with an open store and always close it. */
export async function withStore<T>(g: GlobalOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(g);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
