export { createMailRoot, type DovecotOptions, type DovecotServer, type DovecotUser, startDovecot } from "./dovecot.js";
export { findDovecot, freePort, MAIL_USER, mailUser, waitForGreeting } from "./system.js";
