export { type Checkpoint, readCheckpoint, writeCheckpoint } from "./checkpoint.js";
export { inWindow, makeGate, parseWindow } from "./gate.js";
export { ScrubMetrics } from "./metrics.js";
export { DEFAULT_LIMITS, type Progress, type ScrubOptions } from "./options.js";
export { RateLimiter, type RateLimits } from "./rate-limiter.js";
export {
  type Damage,
  type FileKind,
  type MailboxSummary,
  type ScrubReport,
  type UserSummary,
  unrepaired,
} from "./report.js";
export { Scrubber, scrub } from "./scrub.js";
export { humanSummary } from "./summary.js";
