export {
  createPassthroughBackend,
  type PassthroughBackendOptions,
  PassthroughConfigError,
} from "./passthrough-backend.js";
export { splice } from "./splice.js";
