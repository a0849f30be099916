import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKey } from './client-address.js';

describe('addressKey', () => {
  it('keeps IPv4 addresses, mapped ones included', () => {
    assert.equal(addressKey('198.51.100.7'), '198.51.100.7');
    assert.equal(addressKey('::ffff:198.51.100.7'), '198.51.100.7');
  });

  it('keys IPv6 by its /64, whatever the spelling', () => {
    const key = addressKey('2001:db8:1:2::1');
    assert.equal(key, '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0db8:0001:0002:ffff:eeee:dddd:cccc'), key);
    assert.equal(addressKey('[2001:db8:1:2:aaaa::5]'), key);
    assert.equal(addressKey('fe80::1%eth0'), 'fe80::/64');
    assert.notEqual(addressKey('2001:db8:1:3::1'), key, 'the next /64 is another key');
  });

  it('puts what is not an address under one key', () => {
    assert.equal(addressKey('not-an-ip'), 'other');
    assert.equal(addressKey('1.2.3.4.5'), 'other');
    assert.equal(addressKey(undefined), 'unknown');
  });
});
