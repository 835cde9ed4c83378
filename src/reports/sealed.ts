import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { MAKE_A_DATA_KEY } from '../config/env.js';

/**
 * Report text at rest: AES-256-GCM under `VULNBOT_DATA_KEY`, one fresh 12-byte IV per value,
 * and the GHSA id and the field's name as associated data (a value copied to another report or
 * another field no longer opens). Pure: node:crypto only, no I/O.
 *
 * A sealed value reads `v1:<key id>:<base64 of iv | tag | ciphertext>`. The key id (8 hex digits
 * of a SHA-256 of the key) says which key sealed it, so `VULNBOT_DATA_KEY_OLD` can still open
 * what the previous key sealed, `vulnbot rekey` can tell what is left to move, and a wrong key
 * is an error that names the variable instead of garbage. A value without that shape is plain
 * text (written before encryption was turned on, or with `VULNBOT_ALLOW_PLAINTEXT=1`).
 */

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;
const SEALED = /^v1:([0-9a-f]{8}):([A-Za-z0-9+/]+={0,2})$/;

/** A stored value that no configured key opens; the message names the variable to fix. */
export class DataKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataKeyError';
  }
}

/** Decodes a `VULNBOT_DATA_KEY`-style value; throws (without echoing it) unless it is 32 bytes. */
export function decodeDataKey(base64: string, variable = 'VULNBOT_DATA_KEY'): Buffer {
  const text = base64.trim();
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || key.length !== KEY_BYTES) {
    throw new DataKeyError(
      `${variable} must be ${KEY_BYTES} bytes in base64 (make one with \`${MAKE_A_DATA_KEY}\`)`,
    );
  }
  return key;
}

/** The short, public name of a key: 8 hex digits of SHA-256 over a label and the key. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('vulnbot data key id\0').update(key).digest('hex').slice(0, 8);
}

/** Whether `stored` has the shape of a sealed value (else it is plain text). */
export function isSealed(stored: string): boolean {
  return SEALED.test(stored);
}

/** The key id a sealed value names, or undefined for plain text. */
export function sealedKeyId(stored: string): string | undefined {
  return SEALED.exec(stored)?.[1];
}

function associatedData(ghsaId: string, field: string): Buffer {
  return Buffer.from(`vulnbot\0${ghsaId}\0${field}`, 'utf8');
}

interface NamedKey {
  id: string;
  key: Buffer;
  variable: string;
}

/**
 * Seals and opens report text. With no current key (VULNBOT_ALLOW_PLAINTEXT=1) `seal` returns
 * the text as it is, and opening something sealed says that VULNBOT_DATA_KEY is missing.
 */
export class Sealer {
  private readonly current: NamedKey | undefined;
  private readonly old: NamedKey | undefined;

  constructor(keys: { current?: Buffer | undefined; old?: Buffer | undefined }) {
    for (const key of [keys.current, keys.old]) {
      if (key && key.length !== KEY_BYTES) throw new DataKeyError(`a data key must be 32 bytes`);
    }
    this.current = keys.current && {
      id: keyIdOf(keys.current),
      key: keys.current,
      variable: 'VULNBOT_DATA_KEY',
    };
    this.old = keys.old && {
      id: keyIdOf(keys.old),
      key: keys.old,
      variable: 'VULNBOT_DATA_KEY_OLD',
    };
  }

  /** From the environment's base64 keys (validated by the env schema; checked again here). */
  static fromEnv(env: {
    VULNBOT_DATA_KEY?: string | undefined;
    VULNBOT_DATA_KEY_OLD?: string | undefined;
  }): Sealer {
    return new Sealer({
      current: env.VULNBOT_DATA_KEY ? decodeDataKey(env.VULNBOT_DATA_KEY) : undefined,
      old: env.VULNBOT_DATA_KEY_OLD
        ? decodeDataKey(env.VULNBOT_DATA_KEY_OLD, 'VULNBOT_DATA_KEY_OLD')
        : undefined,
    });
  }

  /** Whether new values are encrypted (false only with VULNBOT_ALLOW_PLAINTEXT=1). */
  get encrypting(): boolean {
    return this.current !== undefined;
  }

  get keyId(): string | undefined {
    return this.current?.id;
  }

  get oldKeyId(): string | undefined {
    return this.old?.id;
  }

  private readonly ivs = new IvPool();

  /** `value` sealed for (`ghsaId`, `field`) under the current key; plain without a key. */
  seal(ghsaId: string, field: string, value: string): string {
    if (!this.current) return value;
    const iv = this.ivs.next();
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(associatedData(ghsaId, field));
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    const packed = Buffer.concat([iv, cipher.getAuthTag(), body]);
    return `${VERSION}:${this.current.id}:${packed.toString('base64')}`;
  }

  /** The plain text of a stored value (plain text is returned as it is). Never garbage. */
  open(ghsaId: string, field: string, stored: string): string {
    const match = SEALED.exec(stored);
    if (!match) return stored;
    const [, keyId = '', base64 = ''] = match;
    const what = `${ghsaId} ${field.split(' ')[0]}`;
    const named = [this.current, this.old].find((k) => k?.id === keyId);
    if (!named) throw new DataKeyError(this.noKeyMessage(what, keyId));
    const packed = Buffer.from(base64, 'base64');
    try {
      if (packed.length < IV_BYTES + TAG_BYTES) throw new Error('too short');
      const decipher = createDecipheriv('aes-256-gcm', named.key, packed.subarray(0, IV_BYTES));
      decipher.setAAD(associatedData(ghsaId, field));
      decipher.setAuthTag(packed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([
        decipher.update(packed.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new DataKeyError(
        `${what} cannot be decrypted with ${named.variable} (key id ${named.id}): the stored value was altered or moved to another report or field, or was written with another key that has the same id`,
      );
    }
  }

  /** Whether `stored` is already what `seal` would write now (rekey skips it). */
  isCurrent(stored: string): boolean {
    const keyId = sealedKeyId(stored);
    return this.current ? keyId === this.current.id : keyId === undefined;
  }

  /** Opens `stored` and seals it again under the current key. */
  reseal(ghsaId: string, field: string, stored: string): string {
    return this.seal(ghsaId, field, this.open(ghsaId, field, stored));
  }

  private noKeyMessage(what: string, keyId: string): string {
    if (!this.current) {
      return `${what} is encrypted (key id ${keyId}) but VULNBOT_DATA_KEY is not set: set it to the key this Redis was written with`;
    }
    const tried = this.old
      ? `VULNBOT_DATA_KEY (key id ${this.current.id}) nor VULNBOT_DATA_KEY_OLD (key id ${this.old.id})`
      : `VULNBOT_DATA_KEY (key id ${this.current.id}), and VULNBOT_DATA_KEY_OLD is not set`;
    return `${what} was encrypted with key id ${keyId} and cannot be decrypted with ${tried}: is it the key this Redis was written with?`;
  }
}

/**
 * Random 96-bit GCM nonces, drawn from the system's CSPRNG 1,024 at a time: one call per
 * randomBytes(12) cost about 10 µs here, so one call per sealed value took about 15% of the
 * CPU of taking in a report. Each nonce's bytes are handed out once and never again.
 */
class IvPool {
  private static readonly BATCH = 1_024;
  private pool = Buffer.alloc(0);
  private offset = 0;

  next(): Buffer {
    if (this.offset + IV_BYTES > this.pool.length) {
      this.pool = randomBytes(IV_BYTES * IvPool.BATCH);
      this.offset = 0;
    }
    const iv = this.pool.subarray(this.offset, this.offset + IV_BYTES);
    this.offset += IV_BYTES;
    return iv;
  }
}
