import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clearVisitorCookie, newVisitorId, serializeVisitorCookie, signVisitorId, verifyVisitorCookie } from './visitor-cookie.js';

const secret = 'c'.repeat(32);

describe('visitor cookie', () => {
  it('round-trips a signed id', async () => {
    const id = newVisitorId();
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(await verifyVisitorCookie(await signVisitorId(id, secret), secret), id);
  });

  it('ignores tampered, foreign and malformed values', async () => {
    const id = newVisitorId();
    const value = await signVisitorId(id, secret);
    const other = newVisitorId();
    assert.equal(await verifyVisitorCookie(`${other}${value.slice(id.length)}`, secret), undefined, 'swapped id');
    assert.equal(await verifyVisitorCookie(`${value.slice(0, -2)}AA`, secret), undefined, 'changed signature');
    assert.equal(await verifyVisitorCookie(value, 'd'.repeat(32)), undefined, 'other secret');
    assert.equal(await verifyVisitorCookie(id, secret), undefined, 'unsigned');
    assert.equal(await verifyVisitorCookie('', secret), undefined);
    assert.equal(await verifyVisitorCookie(undefined, secret), undefined);
  });

  it('is SameSite=None; Secure; Partitioned in production', () => {
    const c = serializeVisitorCookie('v.s', true);
    assert.match(c, /^porthole_vid=v\.s; /);
    assert.match(c, /HttpOnly/);
    assert.match(c, /SameSite=None/);
    assert.match(c, /; Secure/);
    assert.match(c, /Partitioned/);
  });

  it('is SameSite=Lax without Secure in development', () => {
    const c = serializeVisitorCookie('v.s', false);
    assert.match(c, /HttpOnly/);
    assert.match(c, /SameSite=Lax/);
    assert.doesNotMatch(c, /Secure/);
  });

  it('clears with Max-Age=0', () => {
    assert.match(clearVisitorCookie(true), /^porthole_vid=; .*Max-Age=0/);
  });
});
