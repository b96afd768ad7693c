// The InternodeFirewall's rules as AWS security-group ingress rules, for nodes that run in a cloud where the
// firewall in front of them is a security group rather than (or as well as) nftables. The rules come from the same
// pure function the resource uses (`internodeFirewallRules`), so the cloud rules and the hosts' nftables tables can
// never disagree. This file is the mapping, plain data with no AWS dependency; program.ts is the stack that
// renders it for the nodes in stack config (the project's Pulumi.yaml runs it; see README.md).
//
// A security group is an allow list with a default deny, so only the accepts are mapped; the firewall's drop of
// everyone else is the group's default. All nodes share the group, so a rule is per port range and source (the
// destination is the group itself).
import { internodeFirewallRules, type FirewallRule } from "pulumi-redis-enterprise";

/**
 * The arguments of an `aws.ec2.SecurityGroupRule` of type ingress, without `securityGroupId` (the shape of
 * @pulumi/aws's SecurityGroupRuleArgs, written out so this example needs no AWS package).
 */
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
        // A security-group rule's description allows letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* only: this one
        // keeps to them (the rule's own description names one destination node, which a shared group has not).
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
