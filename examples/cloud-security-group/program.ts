// The stack: the security-group ingress rules that let the cluster's nodes reach each other on the internode
// ports, rendered from the nodes in stack config and exported as plain data (`ingressRules`). Nothing is applied:
// with @pulumi/aws installed, the same data becomes the group's rules (below). `pulumi preview` shows the rules
// as outputs, so a change of nodes or ports can be reviewed before any cloud call.
import * as pulumi from "@pulumi/pulumi";
import { internodeFirewallRules, type FirewallRule, type PortsInput } from "pulumi-redis-enterprise";
import { securityGroupIngress } from "./index";

const config = new pulumi.Config();

/** The firewall's rules for the nodes, ports and extra sources in stack config; a bad value names its key. */
function configuredRules(): FirewallRule[] {
  const args = {
    nodes: config.requireObject<string[]>("nodes"),
    ports: config.getObject<PortsInput>("ports"),
    allowedSources: config.getObject<string[]>("allowedSources"),
  };
  try {
    return internodeFirewallRules(args);
  } catch (error) {
    // The rules' own message names the property (nodes[1], ports, allowedSources[0]), which is the config key here.
    throw new Error(`stack config of ${pulumi.getProject()}: ${(error as Error).message} (set it with pulumi config set --path, e.g. 'nodes[0]' 10.0.1.10)`);
  }
}

export const ingressRules = securityGroupIngress(configuredRules(), config.get("namePrefix") ?? "redis-enterprise");

// With @pulumi/aws (npm install @pulumi/aws) and the nodes' VPC in config:
//
//   import * as aws from "@pulumi/aws";
//   const group = new aws.ec2.SecurityGroup("redis-enterprise-nodes", { vpcId: config.require("vpcId") });
//   for (const { name, args } of ingressRules) new aws.ec2.SecurityGroupRule(name, { ...args, securityGroupId: group.id });
//
// and attach the group to every node's instance or network interface.
