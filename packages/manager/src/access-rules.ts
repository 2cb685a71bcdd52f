/**
 * Access rules of the License Manager (the role FlexLM's options file plays): who may take
 * seats of which product, seats reserved for a group, and caps on a group. This module parses
 * the rules file's text and decides allow/deny; `access-gate.ts` applies `reserve` and `max` to
 * seat counting. Pure: no I/O. The format is described in `docs/manager-access-rules.md`.
 */

import { CODE_PATTERN, LictorError } from '@lictor/protocol';
import { type Cidr, cidrContains, type IpAddress, parseAddress, parseCidr } from './ip-cidr.js';

/** What a rule does. */
export type AccessAction = 'allow' | 'deny' | 'reserve' | 'max';

/**
 * Who a group or a rule names. A client belongs if any part matches: its user name, its host
 * name (both as the client reports them, compared without regard to case), or the address the
 * manager saw on the socket.
 */
export interface AccessMembers {
  readonly everyone: boolean;
  /** Lowercase user names. */
  readonly users: ReadonlySet<string>;
  /** Lowercase host names. */
  readonly hosts: ReadonlySet<string>;
  readonly networks: readonly Cidr[];
}

/** One rule of the rules file. */
export interface AccessRule {
  /** Line number in the file (1-based). */
  readonly line: number;
  readonly action: AccessAction;
  /** Seats of `reserve` and `max`; `null` for `allow` and `deny`. */
  readonly count: number | null;
  /** A product code, or `*` for every product (each product counted on its own). */
  readonly product: string;
  /** A feature code, or `null` when the rule covers the product with or without features. */
  readonly feature: string | null;
  /** Who, as written: `anyone`, `user alice bob`, `group eng`, … */
  readonly subject: string;
  readonly members: AccessMembers;
  /** The rule as written (words single-spaced, comment dropped), for messages. */
  readonly text: string;
}

/** A parsed rules file. */
export interface AccessRules {
  /** Rules in file order. */
  readonly rules: readonly AccessRule[];
  /** Groups by name. */
  readonly groups: ReadonlyMap<string, AccessMembers>;
}

/** Who asks: the client identity it reports, and the address the manager saw on the socket. */
export interface AccessClient {
  host: string;
  user: string;
  /** The socket's remote address; never a value the client sent. Unknown: no address rule matches. */
  address?: string | undefined;
}

/** The outcome of {@link evaluateAccess}. */
export interface AccessDecision {
  allowed: boolean;
  /** Why, in words a person can act on; names the rule lines. */
  reason: string;
  /** The rules that decided: the deny rule, the matching allow rule, or the allow rules not met. */
  rules: readonly AccessRule[];
}

/** A mistake in the rules file. */
export interface AccessRulesProblem {
  line: number;
  message: string;
}

/** Options of {@link parseAccessRules}. */
export interface ParseAccessRulesOptions {
  /** The file name used in error messages. Default `access.rules`. */
  source?: string;
}

/** Rules that let every client take seats. */
export const NO_ACCESS_RULES: AccessRules = Object.freeze({ rules: [], groups: new Map() });

/** Problems listed in an error's `details.problems`. */
const MAX_PROBLEMS = 20;
const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const COUNT = /^[0-9]{1,6}$/;
const MAX_NAME_LENGTH = 128;
const SUBJECT_KINDS = 'anyone, user, host, address or group';
const USAGE: Record<AccessAction | 'group', string> = {
  group: 'group <name> user|host|address <value>...',
  allow: 'allow <product>[/<feature>] <who>',
  deny: 'deny <product>[/<feature>] <who>',
  reserve: 'reserve <seats> <product>[/<feature>] <who>',
  max: 'max <seats> <product>[/<feature>] <who>',
};

class Problem extends Error {}

function fail(message: string): never {
  throw new Problem(message);
}

/** Splits a line into words: blanks separate, `"…"` quotes a word with blanks, `#` starts a comment. */
function words(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '#') {
      break;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) fail('a quote (") is not closed');
      const after = line[end + 1];
      if (after !== undefined && after !== ' ' && after !== '\t' && after !== '#') {
        fail('a closing quote (") must end the word');
      }
      out.push(line.slice(i + 1, end));
      i = end + 1;
    } else {
      let end = i;
      while (end < line.length && !' \t#"'.includes(line[end] as string)) end++;
      if (line[end] === '"') fail('a quote (") may only start a word');
      out.push(line.slice(i, end));
      i = end;
    }
  }
  return out;
}

function quoted(word: string): string {
  return word === '' || /[\s#"]/.test(word) ? `"${word}"` : word;
}

function emptyMembers(): { everyone: boolean; users: Set<string>; hosts: Set<string>; networks: Cidr[] } {
  return { everyone: false, users: new Set(), hosts: new Set(), networks: [] };
}

type MutableMembers = ReturnType<typeof emptyMembers>;

function name(kind: string, value: string): string {
  if (value === '') fail(`an empty ${kind} name`);
  if (value.length > MAX_NAME_LENGTH) fail(`a ${kind} name is longer than ${MAX_NAME_LENGTH} characters`);
  return value.toLowerCase();
}

/** Adds `user|host|address` values to `into`. */
function addMembers(into: MutableMembers, kind: string, values: readonly string[]): void {
  if (values.length === 0) fail(`'${kind}' needs at least one value`);
  for (const value of values) {
    if (kind === 'user') into.users.add(name('user', value));
    else if (kind === 'host') into.hosts.add(name('host', value));
    else {
      const cidr = parseCidr(value);
      if (typeof cidr === 'string') fail(cidr);
      into.networks.push(cidr);
    }
  }
}

function parseScope(word: string | undefined, action: AccessAction): { product: string; feature: string | null } {
  if (word === undefined) fail(`'${action}' needs a product: ${USAGE[action]}`);
  const slash = word.indexOf('/');
  const product = slash < 0 ? word : word.slice(0, slash);
  const feature = slash < 0 ? null : word.slice(slash + 1);
  if (product === '*') {
    if (feature !== null) fail(`'${word}': '*' (every product) cannot name a feature`);
    return { product, feature };
  }
  if (!CODE_PATTERN.test(product)) {
    fail(`'${product}' is not a product code (letters, digits, '_', '-', '.'; 1–64 characters) or '*'`);
  }
  if (feature !== null && !CODE_PATTERN.test(feature)) {
    fail(`'${feature}' is not a feature code (letters, digits, '_', '-', '.'; 1–64 characters)`);
  }
  return { product, feature };
}

interface PendingRule {
  line: number;
  action: AccessAction;
  count: number | null;
  product: string;
  feature: string | null;
  kind: string;
  values: string[];
  text: string;
}

function parseRule(action: AccessAction, args: string[], line: number, text: string): PendingRule {
  let count: number | null = null;
  let rest = args;
  if (action === 'reserve' || action === 'max') {
    const first = args[0];
    if (first === undefined || !COUNT.test(first)) {
      fail(
        `'${action}' needs a number of seats first, got ${first === undefined ? 'nothing' : `'${first}'`}: ${USAGE[action]}`,
      );
    }
    count = Number(first);
    if (action === 'reserve' && count === 0) fail("'reserve 0' reserves nothing; remove the line or reserve 1 or more");
    rest = args.slice(1);
  }
  const { product, feature } = parseScope(rest[0], action);
  const kind = rest[1];
  if (kind === undefined) fail(`'${action}' needs to say who after the product (${SUBJECT_KINDS}): ${USAGE[action]}`);
  const subject = kind.toLowerCase();
  const values = rest.slice(2);
  if (subject === 'anyone') {
    if (values.length > 0) fail(`'anyone' takes no names, got '${values[0]}'`);
    if (action === 'reserve') fail('a reservation for anyone reserves nothing; name a user, host, address or group');
  } else if (!['user', 'host', 'address', 'group'].includes(subject)) {
    fail(`unknown subject '${kind}': expected ${SUBJECT_KINDS}`);
  } else if (values.length === 0) {
    fail(`'${subject}' needs at least one value`);
  }
  return { line, action, count, product, feature, kind: subject, values, text };
}

function problemError(source: string, problems: AccessRulesProblem[]): LictorError {
  const first = problems[0] as AccessRulesProblem;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : '';
  return new LictorError('LICTOR_E_ACCESS_RULES_INVALID', `${source} line ${first.line}: ${first.message}${more}`, {
    file: source,
    line: first.line,
    problems: problems.slice(0, MAX_PROBLEMS),
  });
}

/**
 * Parses the text of an access rules file. Every mistake is collected; if there is any, throws
 * `LICTOR_E_ACCESS_RULES_INVALID` whose message names the file, the first line at fault and what
 * is wrong, with all problems (up to 20) in `details.problems`.
 */
export function parseAccessRules(text: string, options: ParseAccessRulesOptions = {}): AccessRules {
  const source = options.source ?? 'access.rules';
  const problems: AccessRulesProblem[] = [];
  const groups = new Map<string, MutableMembers>();
  const pending: PendingRule[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);

  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    try {
      const ws = words(raw);
      const keyword = ws[0];
      if (keyword === undefined) continue;
      const action = keyword.toLowerCase();
      const args = ws.slice(1);
      const text = ws.map(quoted).join(' ');
      if (action === 'group') {
        const [groupName, kindWord, ...values] = args;
        if (groupName === undefined || kindWord === undefined) fail(`a group needs a name and members: ${USAGE.group}`);
        if (!GROUP_NAME.test(groupName)) {
          fail(`'${groupName}' is not a group name (letters, digits, '_', '-', '.'; 1–64 characters)`);
        }
        const kind = kindWord.toLowerCase();
        if (!['user', 'host', 'address'].includes(kind)) {
          fail(`a group holds user, host or address members, not '${kindWord}': ${USAGE.group}`);
        }
        const members = groups.get(groupName) ?? emptyMembers();
        addMembers(members, kind, values);
        groups.set(groupName, members);
      } else if (action === 'allow' || action === 'deny' || action === 'reserve' || action === 'max') {
        pending.push(parseRule(action, args, line, text));
      } else {
        fail(`unknown keyword '${keyword}': a line starts with group, allow, deny, reserve or max`);
      }
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      problems.push({ line, message: error.message });
    }
  }

  const rules: AccessRule[] = [];
  const limits = new Map<string, number>();
  for (const p of pending) {
    try {
      const members = emptyMembers();
      if (p.kind === 'anyone') members.everyone = true;
      else if (p.kind === 'group') {
        for (const g of p.values) {
          const group = groups.get(g);
          if (group === undefined) fail(`group '${g}' is not defined; add a line such as: group ${g} user <name>`);
          for (const u of group.users) members.users.add(u);
          for (const h of group.hosts) members.hosts.add(h);
          members.networks.push(...group.networks);
        }
      } else addMembers(members, p.kind, p.values);
      const subject = [p.kind, ...p.values.map(quoted)].join(' ');
      if (p.count !== null) {
        const key = `${p.action} ${p.product}/${p.feature ?? ''} ${subject}`;
        const earlier = limits.get(key);
        if (earlier !== undefined) {
          fail(`a second '${p.action}' for the same product and subject as line ${earlier}; keep one`);
        }
        limits.set(key, p.line);
      }
      rules.push(
        Object.freeze({
          line: p.line,
          action: p.action,
          count: p.count,
          product: p.product,
          feature: p.feature,
          subject,
          members: Object.freeze(members),
          text: p.text,
        }),
      );
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      problems.push({ line: p.line, message: error.message });
    }
  }

  if (problems.length > 0)
    throw problemError(
      source,
      problems.sort((a, b) => a.line - b.line),
    );
  return Object.freeze({ rules: Object.freeze(rules), groups: new Map(groups) });
}

/** Whether a rule covers a request for `product` (and `feature`, when given). */
export function ruleApplies(rule: AccessRule, product: string, feature: string | null): boolean {
  return (rule.product === '*' || rule.product === product) && (rule.feature === null || rule.feature === feature);
}

/**
 * Whether the client belongs to `members`. `address` is the socket address parsed with
 * `parseAddress` (`null`: unknown, so no network matches).
 */
export function isMember(members: AccessMembers, client: AccessClient, address: IpAddress | null): boolean {
  if (members.everyone) return true;
  if (members.users.size > 0 && members.users.has(client.user.toLowerCase())) return true;
  if (members.hosts.size > 0 && members.hosts.has(client.host.toLowerCase())) return true;
  if (address !== null) for (const net of members.networks) if (cidrContains(net, address)) return true;
  return false;
}

/** The client in words, for messages. */
export function describeClient(client: AccessClient): string {
  const from = client.address === undefined ? 'an unknown address' : client.address;
  return `user '${client.user}' on host '${client.host}' from ${from}`;
}

function lineList(rules: readonly AccessRule[]): string {
  const lines = rules.map((r) => r.line);
  return `line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}`;
}

/**
 * Decides whether the client may take a seat of `product` (and `feature`). Rules that cover the
 * request are those for the product or `*`, without a feature or for this feature. A matching
 * `deny` always wins, whatever the order of lines; then, if any `allow` rule covers the request,
 * the client must match one of them; with no `allow` rule covering it, everyone not denied is
 * allowed. `reserve` and `max` are not decided here (see `access-gate.ts`). `address` is
 * `client.address` parsed with `parseAddress`, for a caller that has it already.
 */
export function evaluateAccess(
  rules: AccessRules,
  client: AccessClient,
  product: string,
  feature: string | null,
  address: IpAddress | null = client.address === undefined ? null : parseAddress(client.address),
): AccessDecision {
  const scope = feature === null ? `'${product}'` : `'${product}/${feature}'`;
  const allows: AccessRule[] = [];
  for (const rule of rules.rules) {
    if (!ruleApplies(rule, product, feature)) continue;
    if (rule.action === 'deny' && isMember(rule.members, client, address)) {
      return {
        allowed: false,
        reason: `${scope} is denied to ${describeClient(client)} by access rule line ${rule.line}: ${rule.text}`,
        rules: [rule],
      };
    }
    if (rule.action === 'allow') allows.push(rule);
  }
  if (allows.length === 0) return { allowed: true, reason: `no access rule restricts ${scope}`, rules: [] };
  const match = allows.find((rule) => isMember(rule.members, client, address));
  if (match !== undefined) {
    return { allowed: true, reason: `allowed by access rule line ${match.line}: ${match.text}`, rules: [match] };
  }
  return {
    allowed: false,
    reason:
      `${scope} is open only to the clients named by the allow rules (access rules ${lineList(allows)}); ` +
      `${describeClient(client)} is not one of them`,
    rules: allows,
  };
}
