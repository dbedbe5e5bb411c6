import { rmSync } from "node:fs";
import { createMailRoot, type DovecotServer, startDovecot } from "@holdfast/testkit";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackendError, backendLacks, capabilities, capabilitiesUsedBy, refusalFor } from "../src/index.js";
import { createRemoteBackend, ImapClient } from "../src/remote/index.js";
import { uidsAndFlags } from "./helpers/backend-listing.js";
import { RawClient } from "./helpers/raw-client.js";
import { type RemoteProxy, startRemoteProxy } from "./helpers/remote-proxy.js";
import { MESSAGE } from "./remote-fixtures.js";

/*
 * Capabilities per session in stateful remote mode: a backend lacking what a capability
 * needs gets it withheld from its users (not advertised after login, not ENABLEd, commands
 * using it refused with a reason), and a session that failed over to a host with fewer
 * capabilities refuses what it advertised but cannot do there any more (NO [UNAVAILABLE]),
 * or ends (BYE) when its MODSEQs cannot go on.
 *
 * Three real Dovecot instances on one mail folder (same mailboxes, same UIDs): `full` as
 * configured by the testkit, `noUidplus` told to advertise neither UIDPLUS nor MOVE, and
 * `minimal` told to advertise none of the backend-dependent extensions.
 */

const NO_UIDPLUS =
  "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE UNSELECT CHILDREN NAMESPACE LIST-EXTENDED ESEARCH " +
  "CONDSTORE QRESYNC BINARY MULTIAPPEND STATUS=SIZE SPECIAL-USE LIST-STATUS";
const MINIMAL = "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE UNSELECT CHILDREN NAMESPACE UIDPLUS MOVE ESEARCH";

const capabilityConfig = (caps: string) => `protocol imap {\n  imap_capability = ${caps}\n}\n`;
const USER = { name: "carol", password: "carol-pw" };

let mailRoot: string;
let full: DovecotServer;
let noUidplus: DovecotServer;
let minimal: DovecotServer;
const proxies: RemoteProxy[] = [];
const raws: RawClient[] = [];

beforeAll(async () => {
  mailRoot = createMailRoot();
  const common = { users: [USER], mailRoot, sharedStorage: true };
  full = await startDovecot(common);
  noUidplus = await startDovecot({ ...common, extraConfig: capabilityConfig(NO_UIDPLUS) });
  minimal = await startDovecot({ ...common, extraConfig: capabilityConfig(MINIMAL) });
  const direct = await ImapClient.connect({ id: "setup", host: full.host, port: full.port });
  await direct.login(USER.name, USER.password);
  for (const box of ["Caps", "Target"]) await direct.command({ name: "CREATE", mailbox: box });
  await direct.logout();
}, 60_000);

afterAll(async () => {
  for (const r of raws) r.close();
  for (const p of proxies) await p.stop();
  await Promise.all([full, noUidplus, minimal].map((s) => s?.stop()));
  if (mailRoot) rmSync(mailRoot, { recursive: true, force: true });
});

async function proxyTo(servers: DovecotServer[], budgetMs = 20_000): Promise<RemoteProxy> {
  const proxy = await startRemoteProxy(servers, { reconnect: { budgetMs, initialDelayMs: 20 }, pollMs: 100 });
  proxies.push(proxy);
  return proxy;
}

/** A raw session logged in through the proxy; returns the capabilities of the tagged OK. */
async function login(proxy: RemoteProxy): Promise<{ raw: RawClient; advertised: string[] }> {
  const raw = await RawClient.open(proxy.port);
  raws.push(raw);
  await raw.line();
  const lines = await raw.command("l", `LOGIN ${USER.name} ${USER.password}`, 10_000);
  const ok = lines.at(-1)!;
  const m = /^l OK \[CAPABILITY ([^\]]*)\]/.exec(ok);
  if (!m) throw new Error(`no capabilities in ${ok}`);
  return { raw, advertised: m[1]!.split(" ") };
}

async function capabilityCommand(raw: RawClient): Promise<string[]> {
  const lines = await raw.command("c", "CAPABILITY");
  expect(lines.at(-1)).toMatch(/^c OK/);
  const line = lines.find((l) => l.startsWith("* CAPABILITY "))!;
  return line.slice("* CAPABILITY ".length).split(" ");
}

/** UIDs and flags of a mailbox, straight from Dovecot. */
async function truth(server: DovecotServer, mailbox: string): Promise<{ uid: number; flags: string[] }[]> {
  const c = await ImapClient.connect({ id: "truth", host: server.host, port: server.port });
  try {
    await c.login(USER.name, USER.password);
    await c.command({ name: "EXAMINE", mailbox, condstore: false });
    return await uidsAndFlags(c);
  } finally {
    await c.logout();
  }
}

async function appendDirect(server: DovecotServer, mailbox: string, subjects: string[], flags: string[] = []) {
  const c = await ImapClient.connect({ id: "append", host: server.host, port: server.port });
  await c.login(USER.name, USER.password);
  for (const s of subjects) await c.command({ name: "APPEND", mailbox, messages: [{ flags, data: MESSAGE(s) }] });
  await c.logout();
}

const FULL_LIST = capabilities({
  authenticated: true,
  secure: false,
  startTls: false,
  plaintextAuth: true,
  appendLimit: null,
});

describe("post-login capabilities follow the backend", () => {
  it("a full Dovecot: the whole list, at login and in CAPABILITY", async () => {
    const proxy = await proxyTo([full]);
    const { raw, advertised } = await login(proxy);
    // APPENDLIMIT depends on Dovecot's configuration; the rest is the front end's full list.
    const withoutLimit = (list: string[]) => list.filter((c) => !c.startsWith("APPENDLIMIT"));
    expect(withoutLimit(advertised)).toEqual(withoutLimit(FULL_LIST));
    for (const c of ["UIDPLUS", "MOVE", "CONDSTORE", "QRESYNC", "BINARY", "MULTIAPPEND", "STATUS=SIZE", "IMAP4rev2"]) {
      expect(advertised).toContain(c);
    }
    expect(await capabilityCommand(raw)).toEqual(advertised);
    const enabled = await raw.command("e", "ENABLE CONDSTORE QRESYNC");
    expect(enabled).toContain("* ENABLED CONDSTORE QRESYNC");
    // SPECIAL-USE on a backend without it (the testkit's Dovecot has no special_use
    // mailboxes, so it does not advertise it): no mailbox is special, the proxy applies the
    // selection itself instead of listing every mailbox.
    const direct = await ImapClient.connect({ id: "caps", host: full.host, port: full.port });
    await direct.login(USER.name, USER.password);
    const backendHasSpecialUse = direct.capabilities.has("SPECIAL-USE");
    await direct.logout();
    const special = await raw.command("l", 'LIST (SPECIAL-USE) "" "*"');
    expect(special.at(-1)).toMatch(/^l OK/);
    if (!backendHasSpecialUse) expect(special.filter((l) => l.startsWith("* LIST"))).toEqual([]);
    const all = await raw.command("l2", 'LIST "" "*"');
    expect(all.filter((l) => l.startsWith("* LIST")).length).toBeGreaterThanOrEqual(3);
  });

  it("no UIDPLUS or MOVE: neither advertised (nor IMAP4rev2), UID EXPUNGE and MOVE refused, APPEND/COPY without UIDs", async () => {
    await appendDirect(full, "Caps", ["one", "two", "three"]);
    const proxy = await proxyTo([noUidplus]);
    const { raw, advertised } = await login(proxy);
    for (const c of ["UIDPLUS", "MOVE", "IMAP4rev2"]) expect(advertised).not.toContain(c);
    for (const c of ["CONDSTORE", "QRESYNC", "BINARY", "MULTIAPPEND", "STATUS=SIZE", "ESEARCH", "IMAP4rev1"]) {
      expect(advertised).toContain(c);
    }
    expect(await capabilityCommand(raw)).toEqual(advertised);
    // IMAP4rev2 includes UID EXPUNGE and MOVE: not enabled.
    expect(await raw.command("e", "ENABLE IMAP4rev2")).toContain("* ENABLED");

    await raw.command("s", "SELECT Caps");
    const before = await truth(full, "Caps");
    expect(before.length).toBe(3);
    // Two messages \Deleted; UID EXPUNGE of one of them must not become an EXPUNGE of both.
    await raw.command("f", `UID STORE ${before[0]!.uid},${before[1]!.uid} +FLAGS.SILENT (\\Deleted)`);
    const expunge = await raw.command("x", `UID EXPUNGE ${before[0]!.uid}`);
    expect(expunge.at(-1)).toMatch(/^x BAD .*UIDPLUS/);
    expect(expunge.some((l) => / EXPUNGE$/.test(l))).toBe(false);
    const move = await raw.command("m", `UID MOVE ${before[2]!.uid} Target`);
    expect(move.at(-1)).toMatch(/^m BAD .*MOVE/);
    expect((await truth(full, "Caps")).map((m) => m.uid)).toEqual(before.map((m) => m.uid));
    expect(await truth(full, "Target")).toEqual([]);

    // APPEND and COPY still work. (This Dovecot only stopped advertising UIDPLUS: it still
    // answers with APPENDUID/COPYUID, which the proxy passes on; their UIDs are right.)
    const message = MESSAGE("appended");
    raw.write(`a APPEND Target {${message.length}+}\r\n`);
    raw.write(message);
    raw.write("\r\n");
    const appended = await raw.untilTagged("a", 10_000);
    expect(appended.at(-1)).toMatch(/^a OK /);
    const copied = await raw.command("k", `UID COPY ${before[2]!.uid} Target`);
    expect(copied.at(-1)).toMatch(/^k OK /);
    const target = await truth(full, "Target");
    expect(target.length).toBe(2);
    const appendUid = /APPENDUID \d+ (\d+)/.exec(appended.at(-1)!);
    if (appendUid) expect(Number(appendUid[1])).toBe(target[0]!.uid);
    // A plain EXPUNGE removes every \Deleted message, as asked.
    const plain = await raw.command("y", "EXPUNGE");
    expect(plain.filter((l) => / EXPUNGE$/.test(l)).length).toBe(2);
    expect((await truth(full, "Caps")).map((m) => m.uid)).toEqual([before[2]!.uid]);
    await raw.command("z", "LOGOUT");
  });

  it("no CONDSTORE/QRESYNC (nor BINARY, MULTIAPPEND, STATUS=SIZE, LIST-EXTENDED): not advertised, not ENABLEd, refused", async () => {
    const proxy = await proxyTo([minimal]);
    const { raw, advertised } = await login(proxy);
    const lacking = ["CONDSTORE", "QRESYNC", "BINARY", "MULTIAPPEND", "STATUS=SIZE", "LIST-EXTENDED"];
    for (const c of [...lacking, "IMAP4rev2"]) expect(advertised).not.toContain(c);
    for (const c of ["UIDPLUS", "MOVE", "ESEARCH", "SEARCHRES", "LIST-STATUS", "UTF8=ACCEPT", "IDLE", "SPECIAL-USE"]) {
      expect(advertised).toContain(c);
    }
    expect(await capabilityCommand(raw)).toEqual(advertised);
    // AUTHENTICATE PLAIN advertises the same list in its tagged OK.
    const other = await RawClient.open(proxy.port);
    raws.push(other);
    await other.line();
    const plain = Buffer.from(`\0${USER.name}\0${USER.password}`).toString("base64");
    const authenticated = await other.command("p", `AUTHENTICATE PLAIN ${plain}`, 10_000);
    expect(authenticated.at(-1)).toBe(`p OK [CAPABILITY ${advertised.join(" ")}] Logged in.`);
    other.close();

    const enabled = await raw.command("e", "ENABLE CONDSTORE QRESYNC UTF8=ACCEPT");
    expect(enabled).toContain("* ENABLED UTF8=ACCEPT");
    const status = await raw.command("t", "STATUS Caps (MESSAGES SIZE)");
    expect(status.at(-1)).toMatch(/^t BAD .*STATUS=SIZE/);
    expect((await raw.command("t2", "STATUS Caps (MESSAGES HIGHESTMODSEQ)")).at(-1)).toMatch(/^t2 BAD .*CONDSTORE/);
    expect((await raw.command("t3", "STATUS Caps (MESSAGES UIDNEXT)")).at(-1)).toMatch(/^t3 OK/);
    expect((await raw.command("l", 'LIST (SUBSCRIBED) "" "*"')).at(-1)).toMatch(/^l BAD .*LIST-EXTENDED/);
    expect((await raw.command("l2", 'LIST "" "*" RETURN (STATUS (SIZE))')).at(-1)).toMatch(/^l2 BAD .*STATUS=SIZE/);
    const listStatus = await raw.command("l3", 'LIST "" "Caps" RETURN (STATUS (MESSAGES))');
    expect(listStatus.at(-1)).toMatch(/^l3 OK/);
    expect(listStatus.some((l) => /^\* STATUS Caps \(MESSAGES \d+\)$/.test(l))).toBe(true);

    const selectCondstore = await raw.command("s0", "SELECT Caps (CONDSTORE)");
    expect(selectCondstore.at(-1)).toMatch(/^s0 BAD .*CONDSTORE/);
    expect((await raw.command("s", "SELECT Caps")).at(-1)).toMatch(/^s OK/);
    expect((await raw.command("f1", "FETCH 1 (FLAGS MODSEQ)")).at(-1)).toMatch(/^f1 BAD .*CONDSTORE/);
    expect((await raw.command("f2", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)")).at(-1)).toMatch(/^f2 BAD .*CONDSTORE/);
    expect((await raw.command("f3", "FETCH 1 (BINARY.PEEK[])")).at(-1)).toMatch(/^f3 BAD .*BINARY/);
    expect((await raw.command("f4", "STORE 1 (UNCHANGEDSINCE 5) +FLAGS (\\Seen)")).at(-1)).toMatch(
      /^f4 BAD .*CONDSTORE/,
    );
    expect((await raw.command("f5", "SEARCH MODSEQ 1")).at(-1)).toMatch(/^f5 BAD .*CONDSTORE/);
    const fetched = await raw.command("f6", "FETCH 1 (UID FLAGS)");
    expect(fetched.at(-1)).toMatch(/^f6 OK/);
    expect(fetched.some((l) => /^\* 1 FETCH \(UID \d+ FLAGS/.test(l))).toBe(true);

    // Two messages in one APPEND: refused as a whole, nothing appended (one APPEND per
    // message on the backend would not be all-or-nothing).
    const before = await truth(full, "Target");
    const a = MESSAGE("multi-a");
    const b = MESSAGE("multi-b");
    raw.write(`m APPEND Target {${a.length}+}\r\n`);
    raw.write(a);
    raw.write(` {${b.length}+}\r\n`);
    raw.write(b);
    raw.write("\r\n");
    const multi = await raw.untilTagged("m", 10_000);
    expect(multi.at(-1)).toMatch(/^m BAD .*MULTIAPPEND/);
    expect(await truth(full, "Target")).toEqual(before);
    // One message is fine.
    raw.write(`o APPEND Target {${a.length}+}\r\n`);
    raw.write(a);
    raw.write("\r\n");
    expect((await raw.untilTagged("o", 10_000)).at(-1)).toMatch(/^o OK .*APPENDUID/);
    expect((await truth(full, "Target")).length).toBe(before.length + 1);
    await raw.command("z", "LOGOUT");
  });

  it("imapflow against the minimal backend: no CONDSTORE in use, its session works", async () => {
    const proxy = await proxyTo([minimal]);
    const client = new ImapFlow({
      host: "127.0.0.1",
      port: proxy.port,
      secure: false,
      doSTARTTLS: false,
      auth: { user: USER.name, pass: USER.password },
      logger: false,
    });
    client.on("error", () => {});
    await client.connect();
    try {
      expect(client.capabilities.has("CONDSTORE")).toBe(false);
      expect(client.capabilities.has("UIDPLUS")).toBe(true);
      const box = await client.mailboxOpen("Caps");
      expect((box as { highestModseq?: bigint }).highestModseq).toBeUndefined();
      const uids: number[] = [];
      for await (const m of client.fetch("1:*", { uid: true, flags: true })) uids.push(m.uid);
      expect(uids).toEqual((await truth(full, "Caps")).map((m) => m.uid));
      const status = await client.status("Target", { messages: true, uidNext: true });
      expect(status ? status.messages : null).toBe((await truth(full, "Target")).length);
    } finally {
      await client.logout();
    }
  });
});

describe("after a failover to a host with fewer capabilities", () => {
  it("what was advertised stays advertised; UID EXPUNGE and MOVE get NO [UNAVAILABLE] there", async () => {
    await appendDirect(full, "Caps", ["four", "five"], ["\\Deleted"]);
    const proxy = await proxyTo([full, noUidplus]);
    const { raw, advertised } = await login(proxy);
    expect(advertised).toContain("UIDPLUS");
    expect(advertised).toContain("MOVE");
    const selected = await raw.command("s", "SELECT Caps");
    expect(selected.at(-1)).toMatch(/^s OK/);
    const before = await truth(full, "Caps");

    await full.kill();
    try {
      // The next command finds the connection gone and fails over to noUidplus.
      const until = Date.now() + 15_000;
      while (proxy.backend.sessionsOf(USER.name)[0]?.hostId !== `dovecot-${noUidplus.port}`) {
        if (Date.now() > until) throw new Error("no failover to the host without UIDPLUS");
        await raw.command("n", "NOOP", 15_000);
      }
      expect(await capabilityCommand(raw)).toEqual(advertised);
      const expunge = await raw.command("x", `UID EXPUNGE ${before.at(-1)!.uid}`);
      expect(expunge.at(-1)).toMatch(/^x NO \[UNAVAILABLE\] UIDPLUS/);
      const move = await raw.command("m", `UID MOVE ${before[0]!.uid} Target`);
      expect(move.at(-1)).toMatch(/^m NO \[UNAVAILABLE\] MOVE/);
      expect(await truth(noUidplus, "Caps")).toEqual(before);
      // Everything else goes on.
      const fetched = await raw.command("f", "UID FETCH 1:* (FLAGS)");
      expect(fetched.at(-1)).toMatch(/^f OK/);
      const uids = new Set(fetched.flatMap((l) => /^\* \d+ FETCH .*UID (\d+)/.exec(l)?.[1] ?? []).map(Number));
      expect([...uids].sort((a, b) => a - b)).toEqual(before.map((m) => m.uid));
      await raw.command("z", "LOGOUT");
    } finally {
      await full.restart();
    }
  });

  it("a host without CONDSTORE cannot continue a mailbox with MODSEQs: the session ends with BYE [UNAVAILABLE]", async () => {
    const proxy = await proxyTo([full, minimal], 3000);
    const { raw, advertised } = await login(proxy);
    expect(advertised).toContain("CONDSTORE");
    await raw.command("e", "ENABLE CONDSTORE");
    const selected = await raw.command("s", "SELECT Caps");
    expect(selected.some((l) => /HIGHESTMODSEQ \d+/.test(l))).toBe(true);

    await full.kill();
    try {
      raw.write("n NOOP\r\n");
      const lines: string[] = [];
      while (!raw.closed) {
        const line = await raw.line(15_000).catch(() => null);
        if (line === null) break;
        lines.push(line);
      }
      expect(lines.some((l) => /^\* BYE \[UNAVAILABLE\]/.test(l))).toBe(true);
      // Never answered as if the MODSEQ-less host carried on.
      expect(lines.some((l) => /^n OK/.test(l))).toBe(false);
    } finally {
      await full.restart();
    }
  });
});

describe("the remote session's own guards", () => {
  // What the front end refuses up front (withheld at login) the remote session must not
  // carry out wrongly either: between the front end's check and the command a failover can
  // move the session to a lesser host. Here the session simply lives on the minimal host.
  it("STATUS SIZE/HIGHESTMODSEQ, LIST selections and a multi-message APPEND fail with UNAVAILABLE instead of half answers", async () => {
    const { authenticator, backend } = createRemoteBackend({
      route: async () => [{ id: "minimal", host: minimal.host, port: minimal.port }],
    });
    const context = { remoteAddress: "127.0.0.1", remotePort: 1, secure: false, sessionId: "guards" };
    expect(await authenticator.authenticate(USER.name, USER.password, context)).toBe(USER.name);
    const session = await backend.open(USER.name, context);
    try {
      expect(session.withheldCapabilities?.()).toEqual(
        new Set(["CONDSTORE", "QRESYNC", "BINARY", "MULTIAPPEND", "STATUS=SIZE", "LIST-EXTENDED", "IMAP4rev2"]),
      );
      const unavailable = (e: unknown) => e instanceof BackendError && e.code === "UNAVAILABLE";
      for (const items of [["MESSAGES", "SIZE"], ["HIGHESTMODSEQ"]] as const) {
        const error = await session.status("Caps", [...items]).catch((e: unknown) => e);
        expect(unavailable(error)).toBe(true);
      }
      expect((await session.status("Caps", ["MESSAGES"])).MESSAGES).toBe((await truth(full, "Caps")).length);
      const listed = await session
        .list("", ["*"], { selection: ["RECURSIVEMATCH", "SUBSCRIBED"], returnOptions: {} })
        .catch((e: unknown) => e);
      expect(unavailable(listed)).toBe(true);

      const before = await truth(full, "Target");
      const tx = await session.beginAppend("Target");
      for (const subject of ["guard-a", "guard-b"]) {
        const data = MESSAGE(subject);
        await tx.stage({
          flags: [],
          size: data.length,
          body: (async function* () {
            yield data;
          })(),
        });
      }
      expect(unavailable(await tx.commit().catch((e: unknown) => e))).toBe(true);
      expect(await truth(full, "Target")).toEqual(before);
    } finally {
      await session.close();
    }
  });
});

describe("the capability rules themselves", () => {
  const view = (caps: string, enabled = "") => ({
    capabilities: new Set(caps.split(" ").filter(Boolean)),
    enabled: new Set(enabled.split(" ").filter(Boolean)),
  });

  it("backendLacks: what ENABLE got counts for CONDSTORE/QRESYNC; MOVE is emulated with UIDPLUS; IMAP4rev2 goes with its parts", () => {
    const all = "UIDPLUS MOVE CONDSTORE QRESYNC BINARY MULTIAPPEND STATUS=SIZE LIST-EXTENDED SPECIAL-USE CHILDREN";
    expect(backendLacks(view(all, "CONDSTORE QRESYNC"))).toEqual(new Set());
    // Offered but not enabled (no ENABLE there): no MODSEQs for the proxy to give.
    expect(backendLacks(view(all))).toEqual(new Set(["CONDSTORE", "QRESYNC"]));
    // QRESYNC enabled implies CONDSTORE (RFC 7162).
    expect(backendLacks(view(all, "QRESYNC")).has("CONDSTORE")).toBe(false);
    const noMove = backendLacks(view(all.replace("MOVE ", ""), "CONDSTORE QRESYNC"));
    expect(noMove).toEqual(new Set());
    const noUidplus = backendLacks(view(all.replace("UIDPLUS ", ""), "CONDSTORE QRESYNC"));
    expect(noUidplus).toEqual(new Set(["UIDPLUS", "IMAP4rev2"]));
    // SPECIAL-USE is kept (the proxy applies the selection; no mailbox is special there).
    expect(backendLacks(view(all.replace("SPECIAL-USE ", ""), "CONDSTORE QRESYNC"))).toEqual(new Set());
  });

  it("capabilitiesUsedBy: nested MODSEQ search keys, literal8 APPEND but not UTF8 (...), LIST-STATUS items", () => {
    const used = (command: Parameters<typeof capabilitiesUsedBy>[0]) => [...capabilitiesUsedBy(command)].sort();
    expect(
      used({
        tag: "a",
        name: "SEARCH",
        uid: true,
        criteria: [{ type: "OR", left: { type: "ALL" }, right: { type: "NOT", key: { type: "MODSEQ", modseq: 5n } } }],
      }),
    ).toEqual(["CONDSTORE"]);
    const message = { flags: [], size: 3, binary: true, utf8: true };
    expect(used({ tag: "a", name: "APPEND", mailbox: "x", messages: [message] })).toEqual([]);
    expect(used({ tag: "a", name: "APPEND", mailbox: "x", messages: [{ ...message, utf8: false }] })).toEqual([
      "BINARY",
    ]);
    expect(
      used({
        tag: "a",
        name: "LIST",
        reference: "",
        patterns: ["*"],
        selection: [],
        returnOptions: { status: ["MESSAGES", "HIGHESTMODSEQ"] },
        extended: true,
      }),
    ).toEqual(["CONDSTORE"]);
    expect(used({ tag: "a", name: "EXPUNGE", uid: false })).toEqual([]);
    expect(used({ tag: "a", name: "EXPUNGE", uid: true, set: [{ start: 1, end: 1 }] })).toEqual(["UIDPLUS"]);
  });

  it("refusalFor: BAD for a capability withheld at login, NO [UNAVAILABLE] for one the current host lacks, nothing otherwise", () => {
    const move = { tag: "m", name: "MOVE" as const, uid: true, set: [{ start: 1, end: 1 }], mailbox: "x" };
    expect(refusalFor(move, new Set(), undefined)).toBeNull();
    expect(refusalFor(move, new Set(["MOVE"]), undefined)?.status).toBe("BAD");
    const now = refusalFor(move, new Set(), () => new Set(["MOVE"]));
    expect(now?.status).toBe("NO");
    expect(now?.code).toEqual({ name: "UNAVAILABLE" });
    expect(refusalFor(move, new Set(["UIDPLUS"]), () => new Set(["UIDPLUS"]))).toBeNull();
    // A command that uses nothing backend-dependent never asks the session.
    let asked = false;
    const noop = { tag: "n", name: "NOOP" as const };
    expect(
      refusalFor(noop, new Set(["MOVE"]), () => {
        asked = true;
        return new Set(["MOVE"]);
      }),
    ).toBeNull();
    expect(asked).toBe(false);
  });
});
