/** The human summary printed at the end of a pass. */
import { formatBytes } from "./progress.js";
import type { ScrubReport } from "./report.js";

export function humanSummary(r: ScrubReport): string {
  const lines: string[] = [];
  const secs = (r.durationMs ?? 0) / 1000;
  lines.push(
    `${r.complete ? "pass complete" : "pass interrupted"}${r.resumed ? " (resumed from checkpoint)" : ""}: ` +
      `${r.files} files, ${formatBytes(r.bytes)} checked in ${secs.toFixed(1)} s` +
      (r.resumed ? ` (${r.filesRead} read by this run)` : ""),
  );
  for (const u of r.users) {
    lines.push(`  ${u.user}: ${u.files} files, ${formatBytes(u.bytes)}, ${u.damaged} damaged, ${u.repaired} repaired`);
  }
  for (const d of r.damage) {
    const where = [d.user, d.mailbox && `mailbox ${d.mailbox}`, d.uids && `UID ${d.uids.join(",")}`]
      .filter(Boolean)
      .join(" ");
    const status = d.repaired ? "REPAIRED" : d.repairable ? "repairable" : "UNREPAIRABLE";
    lines.push(
      `  ${status} ${d.kind} ${d.path}${where ? ` (${where})` : ""}: ${d.detail}${d.action ? ` — ${d.action}` : ""}`,
    );
  }
  for (const b of r.busy) lines.push(`  busy (being written, not checked): ${b}`);
  for (const e of r.errors) lines.push(`  error: ${e}`);
  if (r.damage.length === 0 && r.errors.length === 0) lines.push("  no damage found");
  return lines.join("\n");
}
