/**
 * Access rules where seats are decided: `allow`/`deny` before the pool looks for a seat,
 * `reserve` and `max` against the seat it picked. Pure: reads the pool, never changes it, so
 * the pool's invariants (never more seats than licensed) hold whatever the rules say.
 *
 * Seats are counted in the licenses' counting units, like the pool counts them: two
 * applications on one computer under a per-computer license hold one seat of their group.
 * A group "holds" the seats of the leases whose clients belong to it under the rules in force
 * (user, host, and the address recorded when each lease was granted): see `GroupSeatTally`.
 */

import {
  type AccessClient,
  type AccessRule,
  describeClient,
  evaluateAccess,
  isMember,
  ruleApplies,
} from './access-rules.js';
import { type GroupSeatTally, seatUnitOf } from './group-seat-tally.js';
import { type IpAddress, parseAddress } from './ip-cidr.js';
import type { LeasePool, SeatChoice, SeatGate } from './lease-pool.js';
import type { AccessRuleRef, AcquireRefusal, AcquireRequest } from './types.js';

function ref(rule: AccessRule): AccessRuleRef {
  return { line: rule.line, text: rule.text };
}

function scopeName(product: string, feature: string | null): string {
  return feature === null ? `'${product}'` : `'${product}/${feature}'`;
}

/**
 * How many free units of a scope (the product alone when `scopeFeature` is `null`, else that
 * feature) a grant for `feature` uses up. A lease for the product alone or for another feature
 * still takes a product seat that a lease for `scopeFeature` in the same license would need.
 */
function unitsTaken(choice: SeatChoice, scopeFeature: string | null, feature: string | null): number {
  const np = choice.newProductSeat ? 1 : 0;
  if (scopeFeature === null) return np;
  const counted = choice.featureFree(scopeFeature);
  if (counted === undefined) return 0;
  const ff = counted ?? Number.POSITIVE_INFINITY;
  const nf = scopeFeature === feature && counted !== null && choice.newFeatureSeat ? 1 : 0;
  return Math.min(choice.productFree, ff) - Math.min(choice.productFree - np, ff - nf);
}

/**
 * The gate of one acquire request, to pass to `LeasePool.acquire`. `tally` counts the pool's
 * leases under the rules to apply (`tally.rules`) and observes that pool. `req.address` must be
 * the socket's remote address (never a value the client sent).
 */
export function accessGate(tally: GroupSeatTally, req: AcquireRequest, pool: LeasePool): SeatGate {
  const rules = tally.rules;
  const feature = req.feature ?? null;
  const client: AccessClient = { host: req.client.host, user: req.client.user, address: req.address };
  // Parsed when the pool first consults the gate (never for a renewal), then shared by both steps.
  let parsed: IpAddress | null | undefined;
  const addressOf = (): IpAddress | null => {
    if (parsed === undefined) parsed = req.address === undefined ? null : parseAddress(req.address);
    return parsed;
  };
  return {
    admit(): AcquireRefusal | null {
      const decision = evaluateAccess(rules, client, req.product, feature, addressOf());
      return decision.allowed ? null : { kind: 'denied', reason: decision.reason, rules: decision.rules.map(ref) };
    },

    confirm(choice: SeatChoice): AcquireRefusal | null {
      const caps = rules.rules.filter((r) => r.action === 'max' && ruleApplies(r, req.product, feature));
      // Every reservation on the product counts, even for another feature: see `unitsTaken`.
      const reserves = rules.rules.filter(
        (r) => r.action === 'reserve' && (r.product === '*' || r.product === req.product),
      );
      if (caps.length === 0 && reserves.length === 0) return null;
      const address = addressOf();
      const refuse = (rule: AccessRule, reason: string): AcquireRefusal => {
        const { inUse, total } = pool.capacity(req.product, rule.feature);
        return { kind: 'exhausted', inUse, total, limit: { rule: ref(rule), reason } };
      };
      const unit = seatUnitOf(choice.licenseId, choice.seatKey);

      for (const rule of caps) {
        if (!isMember(rule.members, client, address)) continue;
        const held = tally.held(rule, req.product);
        const cap = rule.count ?? 0;
        if (!tally.holds(rule, req.product, unit) && held >= cap) {
          return refuse(
            rule,
            `${rule.subject} may hold at most ${cap} seat(s) of ${scopeName(req.product, rule.feature)} and holds ` +
              `${held} (access rule line ${rule.line}: ${rule.text})`,
          );
        }
      }

      const others = reserves.filter((r) => !isMember(r.members, client, address));
      for (const scopeFeature of new Set(others.map((r) => r.feature))) {
        const taken = unitsTaken(choice, scopeFeature, feature);
        if (taken === 0) continue;
        let kept = 0;
        const keeping: AccessRule[] = [];
        for (const rule of others) {
          if (rule.feature !== scopeFeature) continue;
          const unused = Math.max(0, (rule.count ?? 0) - tally.held(rule, req.product));
          if (unused === 0) continue;
          kept += unused;
          keeping.push(rule);
        }
        const free = pool.capacity(req.product, scopeFeature).free;
        const first = keeping[0];
        if (first !== undefined && free - taken < kept) {
          const lines = keeping.map((r) => `line ${r.line}: ${r.text}`).join('; ');
          return refuse(
            first,
            `the last ${kept} free seat(s) of ${scopeName(req.product, scopeFeature)} are reserved for ` +
              `${keeping.map((r) => r.subject).join(', ')} (access rule ${lines}), and ${describeClient(client)} ` +
              `is not among them; ${free} seat(s) free`,
          );
        }
      }
      return null;
    },
  };
}
