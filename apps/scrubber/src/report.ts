/** The scrubber's report: what one pass checked, found and repaired. */

/** Kinds of checksummed file the scrubber checks. */
export type FileKind =
  | "user-db"
  | "user-db-backup"
  | "mailbox-list"
  | "mailbox-list-backup"
  | "index"
  | "index-backup"
  | "log"
  | "structure-cache"
  | "blob";

export interface Damage {
  kind: FileKind;
  /** Path relative to the data folder. */
  path: string;
  /** User (display name) when the file belongs to one. */
  user?: string;
  /** Mailbox name and id when the file belongs to one (for blobs: a mailbox that refers to it). */
  mailbox?: string;
  mailboxId?: number;
  /** UIDs that refer to a damaged blob or cache entry. */
  uids?: number[];
  detail: string;
  /** A redundant copy covers it (index from backup + log, list from its backup, cache by re-parsing). */
  repairable: boolean;
  repaired: boolean;
  /** What repair did, or why it did not. */
  action?: string;
}

export interface MailboxSummary {
  id: number;
  name?: string;
  files: number;
  bytes: number;
  /** Damaged files of this mailbox (index files; blobs and cache entries it refers to). */
  damaged: number;
  repaired: number;
  unrepairable: number;
  /** Retried later because the proxy was writing it, and still busy at the end of the pass. */
  busy?: boolean;
}

export interface UserSummary {
  user: string;
  folder: string;
  files: number;
  bytes: number;
  mailboxes: MailboxSummary[];
  damaged: number;
  repaired: number;
  unrepairable: number;
}

export interface ScrubReport {
  dataDir: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /** Every unit of the pass was checked. */
  complete: boolean;
  repair: boolean;
  /** This run continued a pass from its checkpoint. */
  resumed: boolean;
  /** Whole pass (including work done before a resume). */
  files: number;
  bytes: number;
  /** This run only: what was actually read now. */
  filesRead: number;
  bytesRead: number;
  /** Units skipped because the checkpoint says they were done. */
  unitsSkipped: number;
  units: number;
  users: UserSummary[];
  damage: Damage[];
  /** Mailboxes still being written at the end of the pass (not reported as damaged). */
  busy: string[];
  errors: string[];
}

export function newReport(dataDir: string, repair: boolean): ScrubReport {
  return {
    dataDir,
    startedAt: new Date().toISOString(),
    complete: false,
    repair,
    resumed: false,
    files: 0,
    bytes: 0,
    filesRead: 0,
    bytesRead: 0,
    unitsSkipped: 0,
    units: 0,
    users: [],
    damage: [],
    busy: [],
    errors: [],
  };
}

/** Damage still present after the pass (found and not repaired). */
export function unrepaired(report: ScrubReport): Damage[] {
  return report.damage.filter((d) => !d.repaired);
}
