import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { StoreInputError } from "./errors.js";

/*
 * Password hashes: scrypt (node:crypto) with its parameters stored beside the hash, so the
 * cost can be raised later without invalidating existing hashes. Verification recomputes
 * with the stored parameters and compares with timingSafeEqual.
 */

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
  /** Derived key length in bytes. */
  keyLength: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1, keyLength: 32 };

export interface PasswordHash extends ScryptParams {
  algorithm: "scrypt";
  /** base64 */
  salt: string;
  /** base64 */
  hash: string;
}

export const MAX_PASSWORD_LENGTH = 1024;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize("NFC"),
      salt,
      params.keyLength,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

function checkPassword(password: unknown): string {
  if (typeof password !== "string") throw new StoreInputError("password must be a string");
  if (password.length === 0) throw new StoreInputError("password must not be empty");
  if (password.length > MAX_PASSWORD_LENGTH)
    throw new StoreInputError(`password longer than ${MAX_PASSWORD_LENGTH} characters`);
  if (password.includes("\0")) throw new StoreInputError("password must not contain NUL");
  return password;
}

function checkParams(p: ScryptParams): void {
  const ok =
    Number.isInteger(p.N) &&
    p.N >= 2 &&
    p.N <= 1 << 20 &&
    (p.N & (p.N - 1)) === 0 &&
    Number.isInteger(p.r) &&
    p.r >= 1 &&
    p.r <= 32 &&
    Number.isInteger(p.p) &&
    p.p >= 1 &&
    p.p <= 16 &&
    Number.isInteger(p.keyLength) &&
    p.keyLength >= 16 &&
    p.keyLength <= 128;
  if (!ok) throw new StoreInputError(`bad scrypt parameters ${JSON.stringify(p)}`);
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<PasswordHash> {
  checkPassword(password);
  checkParams(params);
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return { algorithm: "scrypt", ...params, salt: salt.toString("base64"), hash: key.toString("base64") };
}

/** True when `password` matches. Constant-time in the comparison of the derived keys. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (typeof password !== "string" || password.length > MAX_PASSWORD_LENGTH) return false;
  if (stored.algorithm !== "scrypt") return false;
  checkParams(stored);
  const expected = Buffer.from(stored.hash, "base64");
  const key = await derive(password, Buffer.from(stored.salt, "base64"), { ...stored, keyLength: expected.length });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
