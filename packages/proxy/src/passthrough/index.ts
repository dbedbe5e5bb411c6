export { createPassthroughBackend } from "./passthrough-backend.js";
export { splice } from "./splice.js";
