import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  pendingPostId,
  PortholeTokenError,
  signPortholeToken,
  verifyPortholeToken,
  visitorIds,
  type PortholeTokenClaims,
} from './porthole-token.js';

const SECRET = 'a-token-secret-of-at-least-32-characters';
const now = 1_700_000_000_000;
const claims: PortholeTokenClaims = {
  cid: 'c'.repeat(26),
  uid: 'u'.repeat(26),
  name: 'Ada',
  email: 'ada@example.com',
  page: 'https://shop.example.com/',
  idf: true,
  iat: now,
  exp: now + 900_000,
};
const refusedWith = (code: string) => (err: unknown) => err instanceof PortholeTokenError && err.code === code;

describe('Porthole tokens', () => {
  it('round-trips its claims', async () => {
    const token = await signPortholeToken(claims, SECRET);
    assert.match(token, /^pt1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(await verifyPortholeToken(token, SECRET, now + 1), claims);
  });

  it('refuses expired tokens unless asked to ignore expiry', async () => {
    const token = await signPortholeToken(claims, SECRET);
    await assert.rejects(verifyPortholeToken(token, SECRET, claims.exp), refusedWith('token_expired'));
    assert.equal((await verifyPortholeToken(token, SECRET, claims.exp + 1, { ignoreExpiry: true })).cid, claims.cid);
  });

  it('refuses forged, tampered and malformed tokens', async () => {
    const token = await signPortholeToken(claims, SECRET);
    await assert.rejects(verifyPortholeToken(token, 'another-secret-of-at-least-32-characters', now), refusedWith('token_invalid'));
    const [prefix, , signature] = token.split('.');
    const other = Buffer.from(JSON.stringify({ ...claims, cid: 'x'.repeat(26) })).toString('base64url');
    await assert.rejects(verifyPortholeToken(`${prefix}.${other}.${signature}`, SECRET, now), refusedWith('token_invalid'));
    for (const bad of ['', 'abc', 'pt1..', `pt2.${token.slice(4)}`, `${token}x`, token.replace(/\.[^.]+$/, '.!!!')]) {
      await assert.rejects(verifyPortholeToken(bad, SECRET, now), refusedWith('token_malformed'), JSON.stringify(bad));
    }
  });

  it('refuses a correctly signed token with bad claims', async () => {
    const token = await signPortholeToken({ ...claims, extra: 1 } as PortholeTokenClaims, SECRET);
    await assert.rejects(verifyPortholeToken(token, SECRET, now), refusedWith('token_invalid'));
  });
});

describe('visitor ids', () => {
  it('are stable, id-shaped and differ per visitor and per purpose', async () => {
    const a = await visitorIds('anon:abc');
    assert.deepEqual(await visitorIds('anon:abc'), a);
    assert.match(a.conversationId, /^[a-z2-7]{26}$/);
    assert.match(a.userId, /^[a-z2-7]{26}$/);
    assert.notEqual(a.userId, a.conversationId);
    assert.notEqual((await visitorIds('id:abc')).conversationId, a.conversationId);
  });

  it('pending post ids are keyed by the secret and scoped to the conversation', async () => {
    const p = await pendingPostId(SECRET, 'c1', 'k');
    assert.equal(await pendingPostId(SECRET, 'c1', 'k'), p);
    assert.notEqual(await pendingPostId(SECRET, 'c2', 'k'), p);
    assert.notEqual(await pendingPostId('other-secret-other-secret-other-secret', 'c1', 'k'), p);
  });
});
