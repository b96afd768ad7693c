// The InternodeFirewall resource's parts: addresses, ports and their profile, input validation and the rules
// function (exported for cloud firewalls), the nftables renderer, parser and drift, and the transports.
export * from "./types";
export * from "./addresses";
export * from "./ports";
export * from "./spec";
export * from "./nft";
export * from "./transport";
export * from "./operations";
export * from "./logic";
export * from "./table";
