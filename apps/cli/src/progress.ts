/** A progress line on stderr for long work, only on a TTY (never mixed into --json output). */
export interface ProgressBar {
  tick(n?: number): void;
  total(n: number): void;
  done(): void;
}

export function progressBar(label: string, enabled: boolean): ProgressBar {
  const stream = process.stderr;
  let count = 0;
  let total = 0;
  let last = 0;
  const started = Date.now();
  const on = enabled && stream.isTTY;
  const draw = () => {
    const rate = count / Math.max(0.001, (Date.now() - started) / 1000);
    const pct = total ? ` ${Math.floor((count / total) * 100)}%` : "";
    const bar = total ? `[${"#".repeat(Math.round((count / total) * 20)).padEnd(20, ".")}]` : "";
    const eta = total && rate > 0 ? ` ETA ${Math.ceil((total - count) / rate)} s` : "";
    stream.write(`\r${label} ${bar}${pct} ${count}${total ? `/${total}` : ""} (${rate.toFixed(0)}/s)${eta}\u001b[K`);
  };
  return {
    tick(n = 1) {
      count += n;
      if (!on) return;
      const now = Date.now();
      if (now - last > 200) {
        last = now;
        draw();
      }
    },
    total(n) {
      total = n;
    },
    done() {
      if (on) stream.write("\r\u001b[K");
    },
  };
}
