import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base64UrlEncode } from './crypto-utils.js';
import { IdentityError, signIdentity, verifyIdentity } from './identity.js';

const secret = 's'.repeat(40);
const now = 1_800_000_000_000;
const exp = now / 1000 + 300;
const b64 = (v: unknown) => base64UrlEncode(new TextEncoder().encode(JSON.stringify(v)));

async function refused(jwt: string, reason: string, key = secret) {
  await assert.rejects(verifyIdentity(jwt, key, now), (err: unknown) => err instanceof IdentityError && err.reason === reason);
}

describe('verifyIdentity (HS256)', () => {
  it('accepts a valid token and returns its claims', async () => {
    const jwt = await signIdentity({ sub: 'user-42', name: 'Ada', email: 'ada@example.com', exp }, secret);
    assert.deepEqual(await verifyIdentity(jwt, secret, now), { sub: 'user-42', name: 'Ada', email: 'ada@example.com', exp });
  });

  it('turns control characters in the name and email into spaces (Mattermost cannot store a NUL)', async () => {
    const jwt = await signIdentity({ sub: 'u', name: 'Ada\u0000Love\u001flace\n', email: 'a@x.org\u0000', exp }, secret);
    const claims = await verifyIdentity(jwt, secret, now);
    assert.equal(claims.name, 'Ada Love lace');
    assert.equal(claims.email, 'a@x.org');
  });

  it('refuses a forged signature (other secret)', async () => {
    await refused(await signIdentity({ sub: 'u', exp }, 'another-secret-another-secret-another'), 'bad_signature');
  });

  it('refuses a modified payload', async () => {
    const [h, , s] = (await signIdentity({ sub: 'u', exp }, secret)).split('.');
    await refused(`${h}.${b64({ sub: 'admin', exp })}.${s}`, 'bad_signature');
  });

  it('refuses an expired token', async () => {
    await refused(await signIdentity({ sub: 'u', exp: now / 1000 - 1 }, secret), 'expired');
  });

  it('refuses alg none and unsigned tokens', async () => {
    await refused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'u', exp })}.`, 'unsupported_alg');
    await refused(`${b64({ alg: 'HS256' })}.${b64({ sub: 'u', exp })}.`, 'bad_signature');
  });

  it('refuses other algorithms even with a valid HMAC', async () => {
    const [, p, s] = (await signIdentity({ sub: 'u', exp }, secret)).split('.');
    await refused(`${b64({ alg: 'HS512' })}.${p}.${s}`, 'unsupported_alg');
    await refused(`${b64({ alg: 'RS256' })}.${p}.${s}`, 'unsupported_alg');
  });

  it('requires sub and exp', async () => {
    await refused(await signIdentity({ exp }, secret), 'invalid_claims');
    await refused(await signIdentity({ sub: 'u' }, secret), 'invalid_claims');
    await refused(await signIdentity({ sub: 'u', exp: String(exp) }, secret), 'invalid_claims');
  });

  it('refuses malformed tokens', async () => {
    await refused('not-a-jwt', 'malformed');
    await refused('a.b.c.d', 'malformed');
    await refused('%%%.b.c', 'malformed');
  });
});
