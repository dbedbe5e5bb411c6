/** A one-line progress display for a TTY: files, bytes, rate, ETA (redrawn at most 5×/s). */
import type { Progress } from "./options.js";

export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s % 60).padStart(2, "0")}s`;
}

export function progressLine(p: Progress, width = 24): string {
  const frac = p.bytesTotal ? Math.min(1, p.bytesDone / p.bytesTotal) : p.units ? p.unitsDone / p.units : 1;
  const fill = Math.round(frac * width);
  const rate = p.elapsedMs > 0 ? (p.report.bytesRead / p.elapsedMs) * 1000 : 0;
  const left = rate > 0 ? ((p.bytesTotal - p.bytesDone) / rate) * 1000 : 0;
  return (
    `[${"#".repeat(fill)}${".".repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ` +
    `${p.report.files} files ${formatBytes(p.report.bytes)} ${formatBytes(rate)}/s ETA ${formatDuration(left)} ` +
    `damage ${p.report.damage.length}`
  );
}

export function ttyProgress(stream: NodeJS.WriteStream): { update(p: Progress): void; done(): void } {
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 200 && p.unitsDone < p.units) return;
      last = now;
      stream.write(`\r${progressLine(p).slice(0, (stream.columns || 120) - 1)}\u001b[K`);
    },
    done() {
      stream.write("\r\u001b[K");
    },
  };
}
