/**
 * `holdfast index dump|verify|repair PATH` on one mailbox folder (`<data>/users/<u>/mailboxes/<id>`),
 * and `holdfast verify [USER]` on the whole store.
 *
 * dump and verify read the files without any lock (safe beside a running proxy); repair takes
 * the mailbox's lock (refused while the proxy has the mailbox open). `verify` opens the store
 * read-only; `verify --repair` takes the store's writer lock.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { MailboxState, Transaction } from "@holdfast/index";
import type { Command } from "commander";
import { type GlobalOptions, withStore } from "../context.js";
import { CliError, EXIT_DAMAGE } from "../errors.js";
import { print, table, toJson } from "../output.js";

async function maybeRead(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

function messagesOf(state: MailboxState) {
  const t = state.messages;
  const out = [];
  for (let i = 0; i < t.count; i++) {
    const r = t.recordAt(i);
    out.push({
      uid: r.uid,
      flags: [...systemFlagNames(r.flags), ...state.keywords.namesOf(r.keywords)],
      modseq: r.modseq,
      size: r.size,
      internalDate: new Date(r.internalDate).toISOString(),
      guid: guidToHex(r.guid),
      contentHash: r.contentHash.toString(16).padStart(16, "0"),
    });
  }
  return out;
}

function describeTxn(t: Transaction) {
  return {
    seq: t.seq,
    uidNext: t.uidNext,
    highestModseq: t.highestModseq,
    ops: t.ops.map((o) => {
      switch (o.op) {
        case "append":
          return {
            op: o.op,
            uid: o.record.uid,
            size: o.record.size,
            guid: guidToHex(o.record.guid),
            modseq: o.record.modseq,
          };
        case "setFlags":
          return {
            op: o.op,
            uid: o.uid,
            flags: systemFlagNames(o.flags),
            keywordMask: Array.from(o.keywords),
            modseq: o.modseq,
          };
        default:
          return o;
      }
    }),
  };
}

/** Modules loaded on first use (fast --help). */
async function lib() {
  const [index, store, checksum] = await Promise.all([
    import("@holdfast/index"),
    import("@holdfast/store"),
    import("@holdfast/checksum"),
  ]);
  await checksum.initChecksum();
  systemFlagNames = index.systemFlagNames;
  guidToHex = store.guidToHex;
  return index;
}
let systemFlagNames: (bits: number) => string[];
let guidToHex: (guid: Uint8Array) => string;

async function dump(path: string) {
  const { readSnapshot, recover, scanLog } = await lib();
  const [snapshot, backup, log] = await Promise.all(
    ["index", "index.backup", "log"].map((f) => maybeRead(join(path, f))),
  );
  if (!snapshot && !log) throw new CliError(`${path} holds no mailbox index (no index, no log)`);
  const out: Record<string, unknown> = { path };
  if (snapshot) {
    const s = readSnapshot(snapshot);
    if (s.kind === "ok") {
      const { digest, ...header } = s.header;
      out.header = { ...header, digest: digest.toString(16).padStart(16, "0") };
    } else out.snapshotDamage = { reason: s.reason, damagedBlocks: s.damagedBlocks };
  }
  // The current state: snapshot + log (or backup + log), as open would see it, never written.
  const { state, report } = recover({ snapshot, backup, log });
  out.state = {
    uidValidity: state.uidValidity,
    uidNext: state.uidNext,
    highestModseq: state.highestModseq,
    seq: state.seq,
    messages: state.messages.count,
    source: report.source,
  };
  out.keywords = Array.from({ length: state.keywords.size }, (_, i) => {
    const words = new Uint32Array(8);
    words[i >> 5] = 1 << (i & 31);
    return state.keywords.namesOf(words)[0];
  });
  out.messages = messagesOf(state);
  if (log) {
    const l = scanLog(log);
    out.log = {
      header: l.header,
      size: l.size,
      validEnd: l.validEnd,
      tail: l.tail,
      damage: l.damage,
      transactions: l.txns.map(describeTxn),
    };
  }
  return out;
}

function dumpText(d: Record<string, unknown>): string {
  const lines: string[] = [];
  if (d.state) lines.push("state:", table(Object.entries(d.state as object).map(([k, v]) => [`  ${k}`, String(v)])));
  if (d.header)
    lines.push("snapshot header:", table(Object.entries(d.header as object).map(([k, v]) => [`  ${k}`, String(v)])));
  if (d.snapshotDamage) lines.push(`snapshot damaged: ${toJson(d.snapshotDamage)}`);
  if (d.keywords) lines.push(`keywords: ${(d.keywords as string[]).join(" ") || "(none)"}`);
  const msgs = (d.messages as ReturnType<typeof messagesOf>) ?? [];
  if (d.messages) {
    lines.push(`records (${msgs.length}):`);
    if (msgs.length)
      lines.push(
        table([
          ["  UID", "MODSEQ", "SIZE", "INTERNALDATE", "GUID", "FLAGS"],
          ...msgs.map((m) => [
            `  ${m.uid}`,
            String(m.modseq),
            String(m.size),
            m.internalDate,
            m.guid,
            m.flags.join(" "),
          ]),
        ]),
      );
  }
  const log = d.log as
    | { transactions: ReturnType<typeof describeTxn>[]; tail: { kind: string }; damage: unknown[] }
    | undefined;
  if (log) {
    lines.push(
      `log: ${log.transactions.length} transactions, tail ${log.tail.kind}, ${log.damage.length} damaged ranges`,
    );
    for (const t of log.transactions)
      lines.push(
        `  seq ${t.seq} uidnext ${t.uidNext} modseq ${t.highestModseq}: ${t.ops.map((o) => JSON.stringify(o)).join(", ")}`,
      );
  }
  return lines.join("\n");
}

function setExit(code: number) {
  process.exitCode = Math.max(Number(process.exitCode ?? 0), code);
}

export function indexCommands(program: Command, g: () => GlobalOptions): void {
  const index = program.command("index").description("inspect, check and repair one mailbox index folder");

  index
    .command("dump <path>")
    .description("print header, records and log records of a mailbox folder (reads only)")
    .action(async (path: string) => {
      const d = await dump(path);
      print(g().json, d, () => dumpText(d));
    });

  index
    .command("verify <path>")
    .description("check every checksum of index, backup and log (reads only); exit 1 on damage")
    .action(async (path: string) => {
      const { verify } = await lib();
      const r = await verify(path);
      if (!r.snapshot.present && !r.log.present) throw new CliError(`${path} holds no mailbox index`);
      print(g().json, r, () =>
        r.ok ? `${path}: ok` : [`${path}: DAMAGED`, ...r.problems, ...r.differences].join("\n  "),
      );
      if (!r.ok) setExit(EXIT_DAMAGE);
    });

  index
    .command("repair <path>")
    .description("repair from redundant copies (takes the mailbox lock); --salvage keeps what survived")
    .option("--salvage", "when no copy covers the damage, rewrite the index from what survived (lost UIDs reported)")
    .action(async (path: string, o: { salvage?: boolean }) => {
      const { repair, IndexLockedError } = await lib();
      let r: Awaited<ReturnType<typeof repair>>;
      try {
        r = await repair(path, { salvage: o.salvage });
      } catch (error) {
        if (error instanceof IndexLockedError)
          throw new CliError(`${path} is open in process ${error.holderPid ?? "?"} (holdfast-proxy?): stop it first`);
        throw error;
      }
      print(g().json, r, () =>
        r.repaired
          ? `${path}: ${r.salvaged ? "salvaged" : "repaired"}${r.recovery.actions.length ? ` (${r.recovery.actions.join("; ")})` : ""}`
          : [`${path}: NOT repaired (use --salvage to keep what survived)`, ...r.after.problems].join("\n  "),
      );
      if (!r.repaired) setExit(EXIT_DAMAGE);
    });

  program
    .command("verify [user]")
    .description(
      "check the whole store (or one user): lists, indexes, every blob; exit 1 on damage. " +
        "Reads only (works while holdfast-proxy runs); --repair needs the store's writer lock",
    )
    .option(
      "--repair",
      "first repair what can be repaired (lists, indexes, rebuilds from blobs, Recovered, leaked blobs), then verify",
    )
    .action(async (user: string | undefined, o: { repair?: boolean }) => {
      if (o.repair) {
        const { repair, verify } = await withStore(g(), "write", async (store) => {
          const repair = await store.repair(user);
          return { repair, verify: await store.verify(user) };
        });
        print(g().json, { repair, verify }, () =>
          verify.ok ? `repaired; store ok\n${toJson(repair)}` : `NOT fully repaired\n${toJson({ repair, verify })}`,
        );
        if (!verify.ok) setExit(EXIT_DAMAGE);
        return;
      }
      const r = await withStore(g(), "read", (store) => store.verify(user));
      print(g().json, r, () => (r.ok ? "store ok" : `DAMAGED\n${toJson(r)}`));
      if (!r.ok) setExit(EXIT_DAMAGE);
    });
}
