import { randomBytes } from 'node:crypto';
import {
  DataKeyError,
  decodeDataKey,
  isSealed,
  keyIdOf,
  Sealer,
  sealedKeyId,
} from '../../src/reports/sealed.js';

const GHSA = 'GHSA-hv58-4hqr-7vxj';
const OTHER = 'GHSA-7r2w-x4pq-c9mh';
const TITLE = 'Heap overflow in the DHCP parser — ünïcödé ✓';

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

/** Flips one bit of the sealed bytes (iv, tag or ciphertext), keeping the value's shape. */
function flipBit(sealed: string, byte: number): string {
  const [version, keyId, base64] = sealed.split(':');
  const packed = Buffer.from(base64 ?? '', 'base64');
  packed[byte] = (packed[byte] ?? 0) ^ 1;
  return `${version}:${keyId}:${packed.toString('base64')}`;
}

describe('sealing report text (AES-256-GCM)', () => {
  const key = randomBytes(32);
  const sealer = new Sealer({ current: key });

  it('round-trips text, with a fresh IV every time and nothing of the text in clear', () => {
    const a = sealer.seal(GHSA, 'summary', TITLE);
    const b = sealer.seal(GHSA, 'summary', TITLE);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1:[0-9a-f]{8}:[A-Za-z0-9+/]+={0,2}$/);
    expect(isSealed(a)).toBe(true);
    expect(sealedKeyId(a)).toBe(keyIdOf(key));
    expect(sealer.keyId).toBe(keyIdOf(key));
    expect(a).not.toContain('DHCP');
    expect(sealer.open(GHSA, 'summary', a)).toBe(TITLE);
    expect(sealer.open(GHSA, 'summary', b)).toBe(TITLE);
    // iv (12) + tag (16) + one byte per byte of text: the IVs differ.
    const iv = (s: string) => Buffer.from(s.split(':')[2] ?? '', 'base64').subarray(0, 12);
    expect(iv(a).equals(iv(b))).toBe(false);
    expect(Buffer.from(a.split(':')[2] ?? '', 'base64')).toHaveLength(
      28 + Buffer.byteLength(TITLE),
    );
    expect(sealer.open(GHSA, 'summary', sealer.seal(GHSA, 'summary', ''))).toBe('');
  });

  it('never uses an IV twice, across thousands of values (the nonces are drawn in batches)', () => {
    const count = 5_000; // several batches of pooled randomness
    const ivs = new Set<string>();
    for (let i = 0; i < count; i++) {
      const sealed = sealer.seal(GHSA, 'summary', `${TITLE} ${i}`);
      ivs.add(
        Buffer.from(sealed.split(':')[2] ?? '', 'base64')
          .subarray(0, 12)
          .toString('hex'),
      );
      if (i % 997 === 0) expect(sealer.open(GHSA, 'summary', sealed)).toBe(`${TITLE} ${i}`);
    }
    expect(ivs.size).toBe(count);
    // Another sealer (another replica) draws its own: no IV in common with the first.
    const other = new Sealer({ current: key });
    for (let i = 0; i < 2_000; i++) {
      const sealed = other.seal(GHSA, 'summary', TITLE);
      expect(
        ivs.has(
          Buffer.from(sealed.split(':')[2] ?? '', 'base64')
            .subarray(0, 12)
            .toString('hex'),
        ),
      ).toBe(false);
    }
  });

  it('refuses a tampered value instead of returning garbage', () => {
    const sealed = sealer.seal(GHSA, 'summary', TITLE);
    for (const byte of [0, 11, 12, 27, 28, 40]) {
      const error = errorOf(() => sealer.open(GHSA, 'summary', flipBit(sealed, byte)));
      expect(error).toBeInstanceOf(DataKeyError);
      expect(error.message).toMatch(/cannot be decrypted with VULNBOT_DATA_KEY/);
      expect(error.message).toContain(GHSA);
    }
    // Cut short: too short to hold an IV and a tag.
    const [version, keyId] = sealed.split(':');
    expect(errorOf(() => sealer.open(GHSA, 'summary', `${version}:${keyId}:AAAA`))).toBeInstanceOf(
      DataKeyError,
    );
  });

  it('binds a value to its report and field (associated data): moved, it no longer opens', () => {
    const sealed = sealer.seal(GHSA, 'summary', TITLE);
    for (const [ghsaId, field] of [
      [OTHER, 'summary'],
      [GHSA, 'reporter'],
    ] as const) {
      const error = errorOf(() => sealer.open(ghsaId, field, sealed));
      expect(error).toBeInstanceOf(DataKeyError);
      expect(error.message).toMatch(/altered or moved/);
      expect(error.message).not.toContain('DHCP');
    }
  });

  it('reads values of the previous key with VULNBOT_DATA_KEY_OLD, and writes with the new one', () => {
    const oldKey = randomBytes(32);
    const before = new Sealer({ current: oldKey }).seal(GHSA, 'summary', TITLE);
    const rotated = new Sealer({ current: key, old: oldKey });
    expect(rotated.open(GHSA, 'summary', before)).toBe(TITLE);
    expect(rotated.isCurrent(before)).toBe(false);
    const after = rotated.reseal(GHSA, 'summary', before);
    expect(sealedKeyId(after)).toBe(keyIdOf(key));
    expect(rotated.isCurrent(after)).toBe(true);
    // Once re-sealed, the new key alone opens it.
    expect(sealer.open(GHSA, 'summary', after)).toBe(TITLE);
  });

  it('says which variable to fix when no configured key opens a value', () => {
    const otherKey = randomBytes(32);
    const sealed = new Sealer({ current: otherKey }).seal(GHSA, 'summary', TITLE);

    const wrong = errorOf(() => sealer.open(GHSA, 'summary', sealed));
    expect(wrong).toBeInstanceOf(DataKeyError);
    expect(wrong.message).toBe(
      `${GHSA} summary was encrypted with key id ${keyIdOf(otherKey)} and cannot be decrypted with VULNBOT_DATA_KEY (key id ${keyIdOf(key)}), and VULNBOT_DATA_KEY_OLD is not set: is it the key this Redis was written with?`,
    );

    const alsoOld = new Sealer({ current: key, old: randomBytes(32) });
    expect(errorOf(() => alsoOld.open(GHSA, 'summary', sealed)).message).toMatch(
      /cannot be decrypted with VULNBOT_DATA_KEY \(key id [0-9a-f]{8}\) nor VULNBOT_DATA_KEY_OLD \(key id [0-9a-f]{8}\): is it the key this Redis was written with\?$/,
    );

    const none = errorOf(() => new Sealer({}).open(GHSA, 'summary', sealed));
    expect(none.message).toMatch(/is encrypted .* but VULNBOT_DATA_KEY is not set/);
  });

  it('without a key (VULNBOT_ALLOW_PLAINTEXT=1) stores text as it is, and reads plain values either way', () => {
    const plain = new Sealer({});
    expect(plain.encrypting).toBe(false);
    expect(plain.seal(GHSA, 'summary', TITLE)).toBe(TITLE);
    expect(plain.open(GHSA, 'summary', TITLE)).toBe(TITLE);
    // A store written before encryption was turned on still reads; rekey will seal it.
    expect(sealer.open(GHSA, 'summary', 'v1: a title that only looks versioned')).toBe(
      'v1: a title that only looks versioned',
    );
    expect(sealer.isCurrent(TITLE)).toBe(false);
  });

  it('takes keys as 32 bytes of base64 and says how to make one, never echoing the value', () => {
    const base64 = randomBytes(32).toString('base64');
    expect(decodeDataKey(base64)).toHaveLength(32);
    for (const bad of ['hunter2', randomBytes(16).toString('base64'), `${base64}AAAA`]) {
      const error = errorOf(() => decodeDataKey(bad, 'VULNBOT_DATA_KEY_OLD'));
      expect(error.message).toBe(
        'VULNBOT_DATA_KEY_OLD must be 32 bytes in base64 (make one with `openssl rand -base64 32`)',
      );
    }
    expect(Sealer.fromEnv({ VULNBOT_DATA_KEY: base64 }).keyId).toBe(
      keyIdOf(Buffer.from(base64, 'base64')),
    );
  });
});
