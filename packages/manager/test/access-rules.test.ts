/** Access rules: the parser's answers and errors, and allow/deny decisions, as tables. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LictorError } from '@lictor/protocol';
import { type AccessClient, evaluateAccess, parseAccessRules } from '../src/access-rules.js';
import { cidrContains, parseAddress, parseCidr } from '../src/ip-cidr.js';

const EXAMPLE = `# Access rules of the plant's License Manager
group eng user alice bob "Carol Smith"   # engineers
group eng host ws-01
group lab address 10.20.0.0/16 2001:db8:20::/48

allow cad group eng lab
deny  cad/render user bob
deny  *   address 192.168.66.0/24
reserve 2 cad group eng
max   1   cad/render anyone
`;

function problem(text: string): { message: string; line: number; problems: { line: number; message: string }[] } {
  try {
    parseAccessRules(text, { source: '/data/access.rules' });
  } catch (error) {
    assert.ok(error instanceof LictorError);
    assert.equal(error.code, 'LICTOR_E_ACCESS_RULES_INVALID');
    const details = error.details as { line: number; problems: { line: number; message: string }[] };
    return { message: error.message, line: details.line, problems: details.problems };
  }
  assert.fail(`parsed without error: ${text}`);
}

describe('parsing', () => {
  test('the example parses into rules with their lines, scopes and members', () => {
    const { rules, groups } = parseAccessRules(EXAMPLE);
    assert.deepEqual(
      rules.map((r) => [r.line, r.action, r.count, r.product, r.feature, r.subject]),
      [
        [6, 'allow', null, 'cad', null, 'group eng lab'],
        [7, 'deny', null, 'cad', 'render', 'user bob'],
        [8, 'deny', null, '*', null, 'address 192.168.66.0/24'],
        [9, 'reserve', 2, 'cad', null, 'group eng'],
        [10, 'max', 1, 'cad', 'render', 'anyone'],
      ],
    );
    assert.equal(rules[0]?.text, 'allow cad group eng lab');
    const eng = groups.get('eng');
    assert.deepEqual([...(eng?.users ?? [])], ['alice', 'bob', 'carol smith']);
    assert.deepEqual([...(eng?.hosts ?? [])], ['ws-01']);
    assert.equal(groups.get('lab')?.networks.length, 2);
    // A group's members are merged into the rules that name it, wherever the group is defined.
    assert.deepEqual([...(rules[0]?.members.users ?? [])], ['alice', 'bob', 'carol smith']);
  });

  test('comments, blank lines, CRLF, a BOM and keyword case are accepted; groups may come after use', () => {
    const text = '\uFEFF# top\r\n\r\n  ALLOW cad group late\r\nGroup late User Zed\r\n';
    const { rules } = parseAccessRules(text);
    assert.equal(rules.length, 1);
    assert.equal(rules[0]?.line, 3);
    assert.deepEqual([...(rules[0]?.members.users ?? [])], ['zed']);
    assert.equal(parseAccessRules('').rules.length, 0);
  });

  const mistakes: [string, string, number, RegExp][] = [
    ['unknown keyword', 'alow cad anyone', 1, /unknown keyword 'alow'/],
    ['unknown subject', 'allow cad users eng', 1, /unknown subject 'users'.*anyone, user, host, address or group/],
    ['missing subject', 'deny cad', 1, /needs to say who/],
    ['missing product', 'deny', 1, /needs a product/],
    ['subject without values', 'deny cad user', 1, /'user' needs at least one value/],
    ['anyone with names', 'deny cad anyone bob', 1, /'anyone' takes no names/],
    ['reserve without count', 'reserve cad group eng\ngroup eng user a', 1, /needs a number of seats first, got 'cad'/],
    ['reserve 0', 'reserve 0 cad user a', 1, /reserves nothing/],
    ['reserve for anyone', 'reserve 1 cad anyone', 1, /reservation for anyone/],
    ['bad product code', 'deny c@d anyone', 1, /'c@d' is not a product code/],
    ['feature on *', 'deny */render anyone', 1, /cannot name a feature/],
    ['undefined group', '# x\nallow cad group nope', 2, /group 'nope' is not defined/],
    ['group of groups', 'group a group b', 1, /user, host or address members, not 'group'/],
    ['bad group name', 'group -x user a', 1, /not a group name/],
    ['unclosed quote', 'deny cad user "bob', 1, /not closed/],
    ['quote inside a word', 'deny cad user b"ob"', 1, /may only start a word/],
    ['bad address', 'deny cad address 10.0.0.256', 1, /not an IPv4 or IPv6 address/],
    ['prefix too long', 'deny cad address 10.0.0.0/33', 1, /prefix length must be a number from 0 to 32/],
    ['host bits set', 'deny cad address 10.1.2.3/16', 1, /bits set after the \/16 prefix; write 10\.1\.0\.0\/16/],
    ['v6 host bits set', 'deny cad address 2001:db8::1/32', 1, /write 2001:db8::\/32/],
    ['zone in a rule', 'deny cad address fe80::1%eth0', 1, /zone/],
    ['duplicate limit', 'max 2 cad user a\n\nmax 3 cad user a', 3, /same product and subject as line 1/],
  ];
  for (const [what, text, line, pattern] of mistakes) {
    test(`error: ${what} names line ${line}`, () => {
      const p = problem(text);
      assert.equal(p.line, line);
      assert.match(p.message, new RegExp(`^/data/access\\.rules line ${line}: `));
      assert.match(p.message, pattern);
    });
  }

  test('every problem is listed, in line order, and the message counts the others', () => {
    const p = problem('deny cad user\nallow cad group ghost\nfoo\n');
    assert.deepEqual(
      p.problems.map((x) => x.line),
      [1, 2, 3],
    );
    assert.match(p.message, /line 1: .*\(and 2 more problem\(s\)\)$/);
  });
});

describe('addresses', () => {
  const table: [string, string, boolean][] = [
    ['10.0.0.0/8', '10.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['10.0.0.0/8', '::ffff:a01:203', true],
    ['192.168.1.7', '192.168.1.7', true],
    ['192.168.1.7', '192.168.1.8', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['fe80::/10', 'fe80::1%eth0', true],
    ['::1', '::1', true],
    ['::/0', '10.1.2.3', true],
    ['2001:db8::/32', 'not-an-address', false],
  ];
  for (const [net, address, inside] of table) {
    test(`${address} ${inside ? 'is' : 'is not'} in ${net}`, () => {
      const cidr = parseCidr(net);
      assert.ok(typeof cidr !== 'string', cidr as string);
      const a = parseAddress(address);
      assert.equal(a !== null && cidrContains(cidr, a), inside);
    });
  }

  test('malformed addresses are refused', () => {
    for (const bad of [
      '010.0.0.1',
      '1.2.3',
      '1.2.3.4.5',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      ':::',
      'g::1',
      '1.2.3.4/',
      '::/129',
    ]) {
      assert.equal(typeof parseCidr(bad), 'string', bad);
    }
  });
});

describe('allow and deny', () => {
  const rules = parseAccessRules(EXAMPLE);
  const who = (user: string, host: string, address?: string): AccessClient => ({ user, host, address });
  const table: [string, AccessClient, string, string | null, boolean, RegExp][] = [
    ['an engineer by user name', who('Alice', 'pc-9', '172.16.0.1'), 'cad', null, true, /line 6/],
    ['an engineer by host name', who('zed', 'WS-01', '172.16.0.1'), 'cad', null, true, /line 6/],
    ['a lab address', who('zed', 'pc-9', '10.20.3.4'), 'cad', null, true, /line 6/],
    ['a lab address seen as IPv4-mapped IPv6', who('zed', 'pc-9', '::ffff:10.20.3.4'), 'cad', null, true, /line 6/],
    ['a lab IPv6 address', who('zed', 'pc-9', '2001:db8:20::5'), 'cad', null, true, /line 6/],
    [
      'nobody the allow rule names',
      who('zed', 'pc-9', '10.21.0.1'),
      'cad',
      null,
      false,
      /access rules line 6\); user 'zed'/,
    ],
    ['unknown address: no address rule matches', who('zed', 'pc-9'), 'cad', null, false, /unknown address/],
    [
      'an allowed user denied a feature',
      who('bob', 'pc-9', '10.20.0.1'),
      'cad',
      'render',
      false,
      /line 7: deny cad\/render user bob/,
    ],
    ['the same user, another feature', who('bob', 'pc-9', '10.20.0.1'), 'cad', 'mesh', true, /line 6/],
    ['deny on * beats the allow rule', who('alice', 'ws-01', '192.168.66.5'), 'cad', null, false, /line 8/],
    ['deny on * covers other products', who('zed', 'x', '192.168.66.5'), 'erp', null, false, /line 8/],
    [
      'no allow rule for another product',
      who('zed', 'x', '172.16.0.1'),
      'erp',
      null,
      true,
      /no access rule restricts 'erp'/,
    ],
  ];
  for (const [what, client, product, feature, allowed, reason] of table) {
    test(`${what}: ${allowed ? 'allowed' : 'denied'}`, () => {
      const d = evaluateAccess(rules, client, product, feature);
      assert.equal(d.allowed, allowed, d.reason);
      assert.match(d.reason, reason);
    });
  }

  test('deny wins over allow whatever the order of lines', () => {
    for (const text of ['allow cad user bob\ndeny cad user bob', 'deny cad user bob\nallow cad user bob']) {
      const d = evaluateAccess(parseAccessRules(text), { user: 'bob', host: 'h' }, 'cad', null);
      assert.equal(d.allowed, false);
      assert.equal(d.rules[0]?.action, 'deny');
    }
  });

  test('a feature-scoped allow restricts only that feature', () => {
    const rules2 = parseAccessRules('allow cad/render user ann');
    assert.equal(evaluateAccess(rules2, { user: 'bob', host: 'h' }, 'cad', null).allowed, true);
    assert.equal(evaluateAccess(rules2, { user: 'bob', host: 'h' }, 'cad', 'mesh').allowed, true);
    assert.equal(evaluateAccess(rules2, { user: 'bob', host: 'h' }, 'cad', 'render').allowed, false);
    assert.equal(evaluateAccess(rules2, { user: 'ann', host: 'h' }, 'cad', 'render').allowed, true);
  });
});
