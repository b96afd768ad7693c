// Example (compiled by `npm run build`, not applied in CI): the InternodeFirewall's rules as AWS security-group
// ingress rules, for nodes that run in a cloud where the provider's firewall is the security group rather than
// nftables. The rules come from the same pure function the resource uses (`internodeFirewallRules`), so the
// cloud rules and the hosts' nftables tables can never disagree.
//
// With @pulumi/aws installed in your program:
//
//   import * as aws from "@pulumi/aws";
//   import { internodeFirewallRules } from "pulumi-redis-enterprise";
//   import { securityGroupIngress } from "./security-group";       // this file's function
//
//   const group = new aws.ec2.SecurityGroup("redis-enterprise-nodes", { vpcId });
//   const rules = internodeFirewallRules({ nodes: ["10.0.1.10", "10.0.2.10", "10.0.3.10"], ports: "internode-only" });
//   securityGroupIngress(rules, "redis-enterprise").forEach(({ name, args }) =>
//     new aws.ec2.SecurityGroupRule(name, { ...args, securityGroupId: group.id }));
//
// A security group is an allow list with a default deny, so only the accepts are mapped; the firewall's drop of
// everyone else is the group's default. All nodes share the group, so a rule is per port range and source (the
// destination is the group itself).
import { internodeFirewallRules, type FirewallRule } from "../../sdk";

/** The arguments of an `aws.ec2.SecurityGroupRule` of type ingress, without `securityGroupId`. */
export interface IngressRuleArgs {
  type: "ingress";
  protocol: "tcp";
  fromPort: number;
  toPort: number;
  cidrBlocks?: string[];
  ipv6CidrBlocks?: string[];
  description: string;
}

/** One ingress rule per (port range, source) among the accepts, with a stable resource name. */
export function securityGroupIngress(rules: readonly FirewallRule[], prefix: string): Array<{ name: string; args: IngressRuleArgs }> {
  const seen = new Set<string>();
  const result: Array<{ name: string; args: IngressRuleArgs }> = [];
  for (const rule of rules) {
    if (rule.action !== "accept") continue;
    const key = `${rule.fromPort}-${rule.toPort}-${rule.source}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ipv6 = rule.source.includes(":");
    result.push({
      name: `${prefix}-${rule.fromPort}-${rule.toPort}-${rule.source.replace(/[^0-9A-Za-z]+/g, "-").replace(/-+$/, "")}`,
      args: {
        type: "ingress",
        protocol: "tcp",
        fromPort: rule.fromPort,
        toPort: rule.toPort,
        ...(ipv6 ? { ipv6CidrBlocks: [rule.source] } : { cidrBlocks: [rule.source] }),
        // Security-group descriptions allow a limited character set; the rule's own description fits it.
        description: `Redis Enterprise internode TCP ${rule.port} from ${rule.source}`,
      },
    });
  }
  return result;
}

/** The rules for a three-node cluster with the default port (3342), as the example's program would use them. */
export function exampleIngress(): Array<{ name: string; args: IngressRuleArgs }> {
  return securityGroupIngress(internodeFirewallRules({ nodes: ["10.0.1.10", "10.0.2.10", "10.0.3.10"] }), "redis-enterprise");
}
