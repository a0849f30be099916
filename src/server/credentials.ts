// Short-lived visitor credentials: Mattermost user access tokens with an expiry the companion
// enforces itself (Mattermost's tokens never expire; see docs/companion.md for why tokens).
import { noAuditLog, type AuditLog } from './audit-log.js';
import type { Logger } from './logger.js';
import type { MattermostAdmin, MmUserAccessToken } from './mattermost-admin.js';
import { MattermostError } from './mattermost-admin.js';

/** Marker at the start of the description of every token the companion mints. */
export const CREDENTIAL_MARKER = 'porthole-visitor';

/** A credential handed to the widget. */
export interface VisitorCredential {
  /** The secret token (a Mattermost user access token). */
  token: string;
  /** Its id in Mattermost (not secret). */
  tokenId: string;
  /** When the companion revokes it, ms since the epoch. */
  expiresAt: number;
}

/** Settings of {@link CredentialIssuer}. */
export interface CredentialIssuerOptions {
  /** Lifetime of a credential, in seconds. */
  ttlSeconds: number;
  /** Live credentials kept per visitor (the new one included). */
  maxPerVisitor: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Where sweeps and prunes that revoked something are recorded (`credential.revoked`). Default: none. */
  audit?: AuditLog;
}

/** Token ids listed in one `credential.revoked` line at most (the count is always complete). */
const MAX_AUDITED_TOKEN_IDS = 100;

/** The description stored with a token: the marker and the expiry. */
export function credentialDescription(expiresAt: number): string {
  return `${CREDENTIAL_MARKER} exp=${expiresAt}`;
}

/** The expiry recorded in a token description, or `undefined` when the token is not ours. */
export function credentialExpiry(description: string): number | undefined {
  const match = /^porthole-visitor exp=(\d{10,16})$/.exec(description);
  return match ? Number(match[1]) : undefined;
}

/** Tokens asked for per page (Mattermost's maximum). */
const PAGE_SIZE = 200;
const MAX_PAGES = 500;

/**
 * Mints, prunes, revokes and sweeps visitor credentials. The expiry lives in Mattermost itself
 * (in the token's description), so the companion stays stateless: any instance can prune or sweep.
 */
export class CredentialIssuer {
  private readonly admin: MattermostAdmin;
  private readonly ttlMs: number;
  private readonly maxPerVisitor: number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly audit: AuditLog;
  /** The tail of each visitor's chain of mints: one instance mints for one visitor at a time. */
  private readonly mints = new Map<string, Promise<unknown>>();
  private lastExpiry = 0;

  constructor(admin: MattermostAdmin, options: CredentialIssuerOptions, logger: Logger) {
    this.admin = admin;
    this.ttlMs = options.ttlSeconds * 1000;
    this.maxPerVisitor = options.maxPerVisitor;
    this.now = options.now ?? Date.now;
    this.audit = options.audit ?? noAuditLog;
    this.logger = logger;
  }

  /**
   * Mints a new credential for a visitor user, then revokes the user's expired credentials and
   * the oldest ones beyond `maxPerVisitor`.
   *
   * One instance mints for one visitor at a time, and each credential it mints expires strictly
   * later than the one before: so within an instance every prune sees the mints before it and
   * ranks its own credential newest, and at most `maxPerVisitor` stay live. Two instances minting
   * for one visitor in the same moment may leave one more, until the next mint prunes it.
   */
  mint(userId: string): Promise<VisitorCredential> {
    const previous = this.mints.get(userId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.mintNow(userId));
    this.mints.set(userId, next);
    const forget = () => {
      if (this.mints.get(userId) === next) this.mints.delete(userId);
    };
    next.then(forget, forget);
    return next;
  }

  private async mintNow(userId: string): Promise<VisitorCredential> {
    const expiresAt = Math.max(this.now() + this.ttlMs, this.lastExpiry + 1);
    this.lastExpiry = expiresAt;
    const created = await this.admin.createUserAccessToken(userId, credentialDescription(expiresAt));
    await this.prune(userId, created.id);
    return { token: created.token, tokenId: created.id, expiresAt };
  }

  /** Revokes every credential the companion minted for a user; returns how many. */
  async revokeAll(userId: string): Promise<number> {
    const ours = (await this.listForUser(userId)).filter((token) => credentialExpiry(token.description) !== undefined);
    await Promise.all(ours.map((token) => this.revoke(token.id)));
    return ours.length;
  }

  /**
   * Revokes every expired credential on the server (all visitors). Run it periodically (the CLI
   * does, every minute) so a credential never outlives its expiry by more than that period.
   */
  async sweepExpired(): Promise<number> {
    const now = this.now();
    const expired: string[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const batch = await this.admin.getAllUserAccessTokens(page, PAGE_SIZE);
      for (const token of batch) {
        const expiry = credentialExpiry(token.description);
        if (expiry !== undefined && expiry <= now) expired.push(token.id);
      }
      if (batch.length < PAGE_SIZE) break;
    }
    const revoked: string[] = [];
    try {
      for (const id of expired) {
        await this.revoke(id);
        revoked.push(id);
      }
    } finally {
      // Also when a revocation failed half-way: what was revoked is recorded.
      this.recordRevoked(undefined, 'expired', revoked, expired.length);
    }
    return expired.length;
  }

  /** One `credential.revoked` line for a sweep or a prune that revoked something (token ids, never tokens). */
  private recordRevoked(userId: string | undefined, reason: 'expired' | 'pruned', revoked: string[], planned: number): void {
    if (revoked.length === 0 && planned === 0) return;
    this.audit.record({
      action: 'credential.revoked',
      actor: 'system:companion',
      ...(userId ? { subject: userId } : {}),
      outcome: revoked.length === planned ? 'ok' : 'failed',
      detail: {
        reason,
        count: revoked.length,
        ...(revoked.length === planned ? {} : { planned }),
        tokenIds: revoked.slice(0, MAX_AUDITED_TOKEN_IDS),
      },
    });
  }

  private async listForUser(userId: string): Promise<MmUserAccessToken[]> {
    const all: MmUserAccessToken[] = [];
    for (let page = 0; page < 10; page++) {
      const batch = await this.admin.getUserAccessTokens(userId, page, PAGE_SIZE);
      all.push(...batch);
      if (batch.length < PAGE_SIZE) break;
    }
    return all;
  }

  private async prune(userId: string, keepId: string): Promise<void> {
    try {
      const now = this.now();
      const ours = (await this.listForUser(userId))
        .map((token) => ({ id: token.id, expiry: credentialExpiry(token.description) }))
        .filter((token): token is { id: string; expiry: number } => token.expiry !== undefined);
      // Rank every live credential, the new one included, newest first (ties by id): mints that
      // run at the same time (two tabs) then agree on which to keep instead of revoking each
      // other's. A request never revokes the credential it is handing out.
      const live = ours.filter((token) => token.expiry > now).sort((a, b) => b.expiry - a.expiry || (a.id < b.id ? -1 : 1));
      const doomed = [...ours.filter((token) => token.expiry <= now), ...live.slice(this.maxPerVisitor)].filter(
        (token) => token.id !== keepId,
      );
      const revoked: string[] = [];
      try {
        await Promise.all(doomed.map((token) => this.revoke(token.id).then(() => void revoked.push(token.id))));
      } finally {
        this.recordRevoked(userId, 'pruned', revoked, doomed.length);
      }
    } catch (err) {
      // The new credential is valid; leftovers are caught by the next mint or the sweep.
      this.logger.warn({ msg: 'credential pruning failed', userId, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async revoke(tokenId: string): Promise<void> {
    try {
      await this.admin.revokeUserAccessToken(tokenId);
    } catch (err) {
      // Already gone (another instance revoked it): that is the goal.
      if (err instanceof MattermostError && (err.status === 404 || err.status === 400)) return;
      throw err;
    }
  }
}
