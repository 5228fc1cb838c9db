/**
 * Member and mentor tokens (issue 13). An access token is a short-lived JWT (HS256, signed with `jose`) naming
 * the member (`sub`), their session (`sid`) and what they signed in as (`scope`: `member`, or `member mentor`);
 * it is checked for algorithm, signature, issuer, audience and expiry, and its session must still be live
 * (api/auth.ts). A refresh token is an opaque 256-bit secret stored as SHA-256 and exchanged once
 * (db/auth.ts). One-time codes are 6 random digits stored as an HMAC keyed with the token secret.
 */
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import type { AppConfig } from './deps.js';

export const TOKEN_ISSUER = 'crewline';
export const TOKEN_AUDIENCE = 'crewline-members';
const ALG = 'HS256';

export const AUTH_DEFAULTS = {
  accessTokenMinutes: 15,
  sessionDays: 30,
  otpPerPhonePer15Min: 3,
  otpPerPhonePerDay: 10,
  otpPerIpPerHour: 20,
  /** A code lives this long… */
  codeMinutes: 10,
  /** …and dies after this many wrong guesses. */
  codeAttempts: 5,
} as const;

export type TokenScope = 'member' | 'mentor';

export interface AccessClaims {
  memberId: string;
  sessionId: string;
  scopes: TokenScope[];
}

export const REFRESH_TOKEN_PREFIX = 'crr_';

export type TokenService = NonNullable<ReturnType<typeof createTokenService>>;

/** undefined when sign-in is off (no secret configured). */
export function createTokenService(auth: AppConfig['auth']) {
  const secretText = auth?.tokenSecret;
  if (!secretText) return undefined;
  const key = new TextEncoder().encode(secretText);
  const settings = { ...AUTH_DEFAULTS, ...definedOnly(auth) };

  return {
    settings,

    async signAccessToken(c: AccessClaims): Promise<{ token: string; expiresIn: number }> {
      const expiresIn = settings.accessTokenMinutes * 60;
      const token = await new SignJWT({ sid: c.sessionId, scope: c.scopes.join(' ') })
        .setProtectedHeader({ alg: ALG, typ: 'JWT' })
        .setSubject(c.memberId)
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${expiresIn}s`)
        .sign(key);
      return { token, expiresIn };
    },

    /** The claims of a valid token; undefined for anything else (alg none, other key, audience, expired…). */
    async verifyAccessToken(token: string): Promise<AccessClaims | undefined> {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [ALG],
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
        if (typeof payload.sid !== 'string' || !payload.sub || !scopes.includes('member')) return undefined;
        return {
          memberId: payload.sub,
          sessionId: payload.sid,
          scopes: scopes.filter((s): s is TokenScope => s === 'member' || s === 'mentor'),
        };
      } catch {
        return undefined;
      }
    },

    /** The stored form of a code: keyed by the secret and bound to the member. */
    hashCode(memberId: string, code: string): string {
      return createHmac('sha256', key).update(`${memberId}:${code}`).digest('hex');
    },

    /** Constant-time comparison of a guess with a stored code hash. */
    codeMatches(memberId: string, guess: string, storedHash: string): boolean {
      const a = Buffer.from(this.hashCode(memberId, guess), 'hex');
      const b = Buffer.from(storedHash, 'hex');
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Six random digits (uniform, from the CSPRNG). */
export const newSignInCode = (): string => String(randomInt(0, 1_000_000)).padStart(6, '0');

export const newRefreshToken = (): string => REFRESH_TOKEN_PREFIX + randomBytes(32).toString('base64url');

export const hashRefreshToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A bearer credential that is shaped like a JWT (three base64url parts), as opposed to an API key. */
export const looksLikeJwt = (credential: string): boolean =>
  /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(credential);

/**
 * Development: the token secret kept in `<dataDir>/auth-token-secret` (created once, mode 0600), so a restart
 * keeps every session. Production sets AUTH_TOKEN_SECRET, shared by every API process.
 */
export async function persistedTokenSecret(dataDir: string): Promise<string> {
  const file = path.resolve(dataDir, 'auth-token-secret');
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim();
    throw err;
  }
}

/**
 * The composition roots' config with its token secret resolved: AUTH_TOKEN_SECRET when set; else, outside
 * production, the one kept in DATA_DIR; else none (sign-in off, /auth answers 503).
 */
export async function withTokenSecret<
  C extends { env: string; dataDir: string; auth: { tokenSecret: string | undefined } },
>(config: C): Promise<C> {
  if (config.auth.tokenSecret || config.env === 'production') return config;
  return { ...config, auth: { ...config.auth, tokenSecret: await persistedTokenSecret(config.dataDir) } };
}
