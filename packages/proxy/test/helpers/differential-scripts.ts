import type { Step } from "./differential.js";

/*
 * The two scripted sessions of the differential test (differential.test.ts against holdfast
 * on the local store; remote-differential.test.ts through the proxy in front of Dovecot), the
 * differences that remain on purpose with their reasons, the Dovecot namespace configuration
 * that gives it the same special-use mailboxes as holdfast's local store, and the comparison.
 */

const literal = (text: string) => `{${Buffer.byteLength(text)}+}\r\n${text}`;
const M1 =
  "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: first message\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <d1@example.org>\r\n\r\nHello Bob.\r\n";
const M2 = [
  "From: Carol <carol@example.org>",
  "To: bob@example.org",
  "Subject: second message",
  "MIME-Version: 1.0",
  'Content-Type: multipart/alternative; boundary="xx"',
  "",
  "--xx",
  "Content-Type: text/plain; charset=us-ascii",
  "",
  "plain part",
  "--xx",
  "Content-Type: text/html; charset=us-ascii",
  "",
  "<p>html part</p>",
  "--xx--",
  "",
].join("\r\n");

export const SCRIPT: Step[] = [
  { command: "CAPABILITY" },
  { command: "NOOP" },
  { command: 'LIST "" ""' },
  { command: 'LIST "" "*"' },
  { command: 'LIST "" "%"' },
  { command: "CREATE Projects" },
  { command: "CREATE Projects/2026" },
  { command: "CREATE Projects", note: "exists" },
  { command: 'LIST "" "Projects*"' },
  { command: "SUBSCRIBE Projects" },
  { command: 'LSUB "" "Proj*"' },
  { command: 'LIST (SUBSCRIBED) "" "Proj*"' },
  { command: 'LIST "" "*" RETURN (CHILDREN SPECIAL-USE)' },
  { command: "STATUS INBOX (MESSAGES UIDNEXT UNSEEN RECENT)" },
  { command: `APPEND INBOX (\\Seen) ${literal(M1)}` },
  { command: `APPEND INBOX () "17-Jul-1996 02:44:25 -0700" ${literal(M2)}` },
  { command: `APPEND Nope ${literal(M1)}`, note: "missing mailbox: TRYCREATE" },
  { command: "STATUS INBOX (MESSAGES UIDNEXT UNSEEN)" },
  { command: "SELECT INBOX" },
  { command: "FETCH 1:* (FLAGS UID RFC822.SIZE)" },
  { command: "FETCH 1 (ENVELOPE)" },
  { command: "FETCH 2 (BODYSTRUCTURE)" },
  { command: "FETCH 2 (BODY)" },
  { command: "FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])" },
  { command: "FETCH 1 BODY.PEEK[TEXT]" },
  { command: "FETCH 2 BODY.PEEK[2]" },
  { command: "FETCH 2 BODY.PEEK[1.MIME]" },
  { command: "FETCH 1 BODY.PEEK[]<0.10>" },
  { command: "UID FETCH 2 (INTERNALDATE)" },
  { command: "STORE 2 +FLAGS (\\Flagged)" },
  { command: "STORE 2 -FLAGS.SILENT (\\Flagged)" },
  { command: "UID STORE 1 FLAGS ($Label1 \\Seen)" },
  { command: "SEARCH ALL" },
  { command: "SEARCH SEEN" },
  { command: "SEARCH UNSEEN" },
  { command: "SEARCH KEYWORD $Label1" },
  { command: 'SEARCH SUBJECT "second"' },
  { command: "SEARCH OR SEEN FLAGGED" },
  { command: "SEARCH NOT SEEN" },
  { command: "SEARCH LARGER 10" },
  { command: "SEARCH BODY html" },
  { command: "UID SEARCH RETURN (MIN MAX COUNT) ALL" },
  { command: "SEARCH RETURN () ALL" },
  { command: "COPY 1:2 Projects" },
  { command: "UID COPY 1 Nope", note: "missing mailbox: TRYCREATE" },
  { command: "MOVE 2 Projects/2026" },
  { command: "STORE 1 +FLAGS (\\Deleted)" },
  { command: "EXPUNGE" },
  { command: "STATUS Projects (MESSAGES)" },
  { command: "EXAMINE Projects" },
  { command: "STORE 1 +FLAGS (\\Seen)", note: "read-only" },
  { command: "FETCH 1 (FLAGS)" },
  { command: "CLOSE" },
  { command: "SELECT Projects" },
  { command: "UNSELECT" },
  { command: "RENAME Projects/2026 Projects/2027" },
  { command: 'LIST "" "Projects/*"' },
  { command: "DELETE Projects/2027" },
  { command: "DELETE INBOX", note: "INBOX cannot be deleted" },
  { command: "NAMESPACE" },
  { command: "ENABLE CONDSTORE" },
  { command: "SELECT INBOX" },
  { command: "FETCH 1:* (FLAGS)" },
  { command: "FETCH 99 FLAGS", note: "out of range" },
  { command: "BOGUS", note: "unknown command" },
  { command: "ID NIL" },
];

const HIGHESTMODSEQ_ALWAYS =
  "holdfast stores mod-sequences for every mailbox and sends [HIGHESTMODSEQ] with every SELECT/EXAMINE " +
  "(RFC 7162 §3.1.2.1); Dovecot sends it only after a CONDSTORE-enabling command. Clients ignore " +
  "response codes they do not use (RFC 9051 §7.1).";
const RECENT_UPDATES =
  "Dovecot sends RECENT again when the mailbox size changes (RFC 3501 §7.3.2); holdfast sends it " +
  "only with SELECT/EXAMINE. IMAP4rev2 removed RECENT; still a gap for rev1 clients, to be added.";

const M3 = [
  "From: Dave <dave@example.org>",
  "To: bob@example.org, Erin <erin@example.org>",
  "Cc: frank@example.org",
  "Subject: =?UTF-8?Q?caf=C3=A9?= report",
  "Date: Mon, 02 Nov 2026 08:00:00 -0500",
  "Message-ID: <d3@example.org>",
  "In-Reply-To: <d1@example.org>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="b3"',
  "",
  "--b3",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "caf=C3=A9 numbers: 42",
  "--b3",
  'Content-Type: application/octet-stream; name="data.bin"',
  "Content-Transfer-Encoding: base64",
  'Content-Disposition: attachment; filename="data.bin"',
  "",
  Buffer.from("\x00\x01\x02binary payload").toString("base64"),
  "--b3--",
  "",
].join("\r\n");

/** A second session: UID forms, every SEARCH key family, FETCH macros and BINARY, CONDSTORE/QRESYNC, SEARCHRES. */
export const SCRIPT2: Step[] = [
  { command: "CREATE Lab/" },
  { command: 'LIST "" "Lab"' },
  { command: `APPEND Lab (\\Flagged $Work) "02-Nov-2026 13:00:00 +0000" ${literal(M3)}` },
  { command: `APPEND Lab ${literal(M1)} ${literal(M2)}`, note: "MULTIAPPEND" },
  { command: "STATUS Lab (MESSAGES UIDNEXT UNSEEN DELETED SIZE)" },
  { command: "SELECT Lab" },
  { command: "FETCH 1:* FAST" },
  { command: "FETCH 1 ALL" },
  { command: "FETCH 1 FULL" },
  { command: "FETCH 1 (RFC822.HEADER)" },
  { command: "FETCH 2 (RFC822.TEXT)" },
  { command: "FETCH 1 (BODY.PEEK[HEADER])" },
  { command: "FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (TO CC DATE)])" },
  { command: "FETCH 1 (BODY.PEEK[1])" },
  { command: "FETCH 1 (BODY.PEEK[2.MIME])" },
  { command: "FETCH 1 (BINARY.PEEK[1])" },
  { command: "FETCH 1 (BINARY.SIZE[2])" },
  { command: "FETCH 1 (BINARY.PEEK[2])" },
  { command: "FETCH 1 (BODY.PEEK[3])", note: "no such part" },
  { command: "FETCH 3 (BODY.PEEK[TEXT]<5.8>)" },
  { command: "UID FETCH 1:* (FLAGS)" },
  { command: "UID FETCH 2:* (UID)" },
  { command: "UID FETCH 100:* (UID)", note: "n:* past the end includes the last" },
  { command: "FETCH *:2 (UID)" },
  { command: "FETCH 1,3 (UID FLAGS)" },
  { command: "SEARCH FROM dave" },
  { command: "SEARCH TO erin" },
  { command: "SEARCH CC frank" },
  { command: "SEARCH BCC nobody" },
  { command: 'SEARCH HEADER Message-ID "<d3@example.org>"' },
  { command: 'SEARCH HEADER In-Reply-To ""' },
  { command: "SEARCH SUBJECT report" },
  { command: "SEARCH BODY numbers" },
  { command: "SEARCH TEXT platypus" },
  { command: "SEARCH BEFORE 1-Jan-2000" },
  { command: "SEARCH SENTBEFORE 3-Nov-2026" },
  { command: "SEARCH SENTON 28-Nov-2026" },
  { command: "SEARCH SENTSINCE 1-Nov-2026" },
  { command: "SEARCH SMALLER 100000" },
  { command: "SEARCH FLAGGED" },
  { command: "SEARCH UNFLAGGED" },
  { command: "SEARCH KEYWORD $Work" },
  { command: "SEARCH UNKEYWORD $Work" },
  { command: "SEARCH ANSWERED" },
  { command: "SEARCH UNANSWERED" },
  { command: "SEARCH DELETED" },
  { command: "SEARCH UNDELETED" },
  { command: "SEARCH DRAFT" },
  { command: "SEARCH UNDRAFT" },
  { command: "SEARCH NEW" },
  { command: "SEARCH OLD" },
  { command: "SEARCH RECENT" },
  { command: "SEARCH 2:3" },
  { command: "SEARCH UID 2:*" },
  { command: "SEARCH OR FROM dave (FLAGGED SUBJECT first)" },
  { command: "SEARCH NOT OR SEEN FLAGGED" },
  { command: "SEARCH CHARSET UTF-8 SUBJECT café" },
  { command: "SEARCH CHARSET KOI8-X ALL", note: "unknown charset" },
  { command: "UID SEARCH RETURN (COUNT) UNSEEN" },
  { command: "SEARCH RETURN (SAVE) FLAGGED" },
  { command: "FETCH $ (UID)" },
  { command: "UID SEARCH RETURN (ALL) $" },
  { command: "STORE 1:* +FLAGS.SILENT (\\Answered)" },
  { command: "STORE 2 -FLAGS (\\Answered)" },
  { command: "STORE 3 FLAGS.SILENT ()" },
  { command: "UID STORE 1 +FLAGS ($Later)" },
  { command: "UID STORE 1 -FLAGS ($Later $Work)" },
  { command: "COPY 2 Lab" },
  { command: "UID MOVE 4 INBOX" },
  { command: "UID EXPUNGE 1:*", note: "nothing \\Deleted" },
  { command: "STORE 3 +FLAGS.SILENT (\\Deleted)" },
  { command: "UID EXPUNGE 1:2", note: "3 is deleted but not in the set" },
  { command: "EXPUNGE" },
  { command: "CHECK" },
  { command: "ENABLE CONDSTORE" },
  { command: "SELECT Lab (CONDSTORE)" },
  { command: "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)" },
  { command: "STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Seen)", note: "conditional store that must fail" },
  { command: "SEARCH MODSEQ 1" },
  { command: "STATUS INBOX (HIGHESTMODSEQ MESSAGES)" },
  { command: "UNSELECT" },
  { command: "UNSUBSCRIBE Lab" },
  { command: 'LSUB "" "*"' },
  { command: 'LIST "" "L%"' },
  { command: 'LIST "Lab" ""' },
  { command: 'LIST "" "nosuch*"' },
  { command: 'CREATE "with space"' },
  { command: 'LIST "" "with*"' },
  { command: 'DELETE "with space"' },
  { command: "CREATE {4+}\r\nLit1" },
  { command: 'STATUS "Lit1" (MESSAGES)' },
  { command: 'SELECT "nosuch"', note: "missing mailbox" },
  { command: "FETCH 1 FLAGS", note: "not selected" },
  { command: "fetch", note: "lowercase, no arguments" },
  { command: "NOOP extra", note: "NOOP takes no arguments" },
  { command: "STATUS INBOX ()", note: "empty item list" },
  { command: "STATUS INBOX (BOGUS)", note: "unknown item" },
  { command: "EXAMINE INBOX" },
  { command: "COPY 1:* Lab", note: "empty mailbox" },
  { command: "CLOSE" },
  { command: "RENAME INBOX Old-Inbox", note: "moves INBOX's messages" },
  { command: "STATUS Old-Inbox (MESSAGES)" },
  { command: "STATUS INBOX (MESSAGES)" },
  { command: "LOGOUT" },
];

/** Differences that remain on purpose, by command: the reason (RFC or Dovecot behaviour). */
export const KNOWN_DIFFERENCES: Record<string, string> = {
  "SELECT INBOX": HIGHESTMODSEQ_ALWAYS,
  "EXAMINE Projects": HIGHESTMODSEQ_ALWAYS,
  "SELECT Projects": HIGHESTMODSEQ_ALWAYS,
  "MOVE 2 Projects/2026": RECENT_UPDATES,
  EXPUNGE: RECENT_UPDATES,
  "STORE 1 +FLAGS (\\Seen)":
    "In EXAMINE no change is permitted (RFC 9051 §6.3.3): holdfast answers NO [READ-ONLY]; Dovecot " +
    "answers OK and changes nothing.",
  "DELETE INBOX": "holdfast adds the response code [CANNOT] (RFC 5530); Dovecot sends none.",
  "SELECT Lab": HIGHESTMODSEQ_ALWAYS,
  "COPY 2 Lab": RECENT_UPDATES,
  "UID MOVE 4 INBOX": RECENT_UPDATES,
  "STATUS Lab (MESSAGES UIDNEXT UNSEEN DELETED SIZE)":
    "DELETED (IMAP4rev2) and SIZE (RFC 8438, advertised as STATUS=SIZE) are not known to Dovecot 2.3, which answers BAD.",
  "SEARCH CHARSET KOI8-X ALL":
    "holdfast lists the charsets it supports in [BADCHARSET (...)] (RFC 9051 §7.1); Dovecot lists none.",
  "ENABLE CONDSTORE":
    "ENABLE is valid only in the authenticated state (RFC 5161 §3.1): holdfast answers BAD while a mailbox is selected; Dovecot accepts it.",
  "SELECT Lab (CONDSTORE)":
    "Dovecot keeps every keyword ever used in the mailbox in FLAGS; holdfast lists the keywords in use (a retired one is no longer defined).",
  "EXAMINE INBOX":
    "Dovecot keeps every keyword ever used in the mailbox in FLAGS; holdfast lists the keywords in use (a retired one is no longer defined).",
  'SELECT "nosuch"': "holdfast adds [NONEXISTENT] (RFC 5530); Dovecot sends no code.",
  "NOOP extra": "NOOP takes no arguments (RFC 9051 §6.1.2 grammar): holdfast answers BAD; Dovecot ignores them.",
  "FETCH 2 (RFC822.TEXT)":
    "The \\Seen that RFC822.TEXT sets: Dovecot puts FLAGS in the same FETCH response, holdfast sends them in an untagged FETCH right after (RFC 9051 §6.4.5 allows either).",
  "SEARCH SENTBEFORE 3-Nov-2026":
    "A message without a Date header: Dovecot matches it as sent before any date; holdfast matches no SENT* key for it. To align.",
  "RENAME INBOX Old-Inbox":
    "RFC 9051 §6.3.6 allows renaming INBOX (its messages move, INBOX stays and is empty); Dovecot's maildir refuses with [CANNOT].",
  "STATUS Old-Inbox (MESSAGES)": "Follows from RENAME INBOX above.",
  "STATUS INBOX (MESSAGES)": "Follows from RENAME INBOX above.",
};
// The last SELECT INBOX differs by more than HIGHESTMODSEQ: Dovecot keeps every keyword ever
// used in the mailbox in FLAGS, holdfast lists the keywords in use (RFC 9051 §7.3.5 asks
// for the flags defined in the mailbox; a keyword no message carries is no longer there).

/** Dovecot's INBOX namespace with the special-use mailboxes holdfast's local store creates. */
export const DOVECOT_NAMESPACE_CONFIG = `namespace inbox {
  inbox = yes
  separator = /
  mailbox INBOX {
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}`;

/**
 * The steps whose normalised responses differ (a and b: one list of lines per step), except
 * those listed in `known` (by command text), as readable text.
 */
export function compare(
  script: Step[],
  a: string[][],
  b: string[][],
  known: Record<string, string> = KNOWN_DIFFERENCES,
  names: [string, string] = ["dovecot", "holdfast"],
): string[] {
  const differences: string[] = [];
  for (const [i, step] of script.entries()) {
    const da = a[i]!.join("\n");
    const hb = b[i]!.join("\n");
    if (da === hb || known[step.command]) continue;
    differences.push(
      `#${i} ${step.command.split("\r\n")[0]}${step.note ? ` (${step.note})` : ""}\n  ${names[0]}: ${da.replace(/\n/g, "\n    ")}\n  ${names[1]}: ${hb.replace(/\n/g, "\n    ")}`,
    );
  }
  return differences;
}
