export { type DovecotCluster, type DovecotClusterOptions, startDovecotCluster } from "./cluster.js";
export {
  createMailRoot,
  type DovecotOptions,
  type DovecotServer,
  type DovecotUser,
  SHARED_STORAGE_CONFIG,
  startDovecot,
} from "./dovecot.js";
export { isAlive, killTree, processGroup, processTree } from "./process-tree.js";
export { findDovecot, freePort, MAIL_USER, mailUser, waitForGreeting } from "./system.js";
