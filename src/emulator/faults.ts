import { faultRuleSchema, type FaultRule, type FaultRuleInput } from "./config";

/** A fault rule with its id and how many more requests it may still hit. */
export interface ActiveFault extends FaultRule {
  readonly id: number;
  /** Requests it may still hit; undefined for a rule without `count`. */
  remaining: number | undefined;
  /** Requests it has hit so far. */
  hits: number;
}

/**
 * Fault injection by rule: each rule matches an endpoint (or every one) and hits either the
 * next `count` matching requests, a `share` of them at random, or both (a share until the count
 * is used up). Rules are tried in the order they were added; the first that hits wins.
 */
export class FaultInjector {
  private rules: ActiveFault[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number = Math.random) {}

  /**
   * Adds a rule.
   *
   * @throws Error with the zod issues when the rule is invalid
   */
  add(input: FaultRuleInput): ActiveFault {
    const rule = faultRuleSchema.parse(input);
    const active: ActiveFault = {
      ...rule,
      id: this.nextId++,
      remaining: rule.count,
      hits: 0,
    };
    this.rules.push(active);
    return active;
  }

  /** The rules still in force. */
  list(): ActiveFault[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  /** Removes every rule. */
  clear(): void {
    this.rules = [];
  }

  /** The rule that hits a request to `path`, if any; used-up rules are dropped. */
  match(path: string): ActiveFault | undefined {
    for (const rule of this.rules) {
      if (rule.endpoint !== "*" && rule.endpoint !== path) continue;
      if (rule.share !== undefined && this.random() >= rule.share) continue;

      rule.hits += 1;
      if (rule.remaining !== undefined) {
        rule.remaining -= 1;
        if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
      }
      return { ...rule };
    }
    return undefined;
  }
}
