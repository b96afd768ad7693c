// The licence (GET /v1/license): every emulated cluster runs on a trial licence that starts when the cluster
// is created and lasts TRIAL_DAYS of virtual time, so `expired`, the cluster_license_about_to_expire alert
// and the shard counts all follow the emulated state. PUT /v1/license is not emulated (no licence can be
// verified here).
import type { EmulatorCore } from "./core";
import { isoSeconds } from "./defaults";
import { notFound } from "./errors";
import type { JsonObject } from "./json";
import type { Reply, Route } from "./router";

const DAY_MS = 24 * 60 * 60 * 1000;

/** A cluster created without a licence key runs on a 30-day trial (the product's documented trial period). */
export const TRIAL_DAYS = 30;

/**
 * Shard limits of the emulated licence. UNCERTAIN: a real trial allows only a few shards; the emulator does not
 * enforce a limit, so it reports one that its databases never reach (512 shards, the per-database maximum),
 * keeping `ram_shards_in_use` below `ram_shards_limit` as on a healthy cluster.
 */
export const LICENSE_SHARDS_LIMIT = 512;

/** The text standing in for a licence key: a marker, not a key (this is not Redis software). */
const TRIAL_KEY = "----- LICENSE START -----\nemulated trial licence (rs-emulator)\n----- LICENSE END -----\n";

function activationMs(core: EmulatorCore): number | undefined {
  const created = Date.parse(String(core.data.cluster.created_time));
  return Number.isFinite(created) ? created : undefined;
}

/** Days left on the licence (negative once expired); Infinity before the cluster exists. */
export function licenseDaysLeft(core: EmulatorCore): number {
  const start = activationMs(core);
  if (!core.data.clusterCreated || start === undefined) return Number.POSITIVE_INFINITY;
  return (start + TRIAL_DAYS * DAY_MS - core.now()) / DAY_MS;
}

/** Shards of every database (masters and replicas), all in RAM: the emulator has no flash. */
function shardsInUse(core: EmulatorCore): number {
  return core.data.bdbs.reduce((sum, record) => sum + (Array.isArray(record.object.shard_list) ? record.object.shard_list.length : 0), 0);
}

/** The licence object of GET /v1/license (the fields the vendor reference lists). */
export function renderLicense(core: EmulatorCore): JsonObject {
  const start = activationMs(core);
  // UNCERTAIN: the docs give 404 for "no license is installed"; an emulated cluster always has its trial.
  if (start === undefined) throw notFound("license_not_found", "no licence is installed");
  const inUse = shardsInUse(core);
  return {
    activation_date: isoSeconds(start),
    cluster_name: String(core.data.cluster.name),
    expiration_date: isoSeconds(start + TRIAL_DAYS * DAY_MS),
    expired: licenseDaysLeft(core) <= 0,
    features: [],
    flash_shards_in_use: 0,
    flash_shards_limit: 0,
    key: TRIAL_KEY,
    license: TRIAL_KEY,
    owner: "rs-emulator trial",
    ram_shards_in_use: inUse,
    ram_shards_limit: LICENSE_SHARDS_LIMIT,
    shards_limit: LICENSE_SHARDS_LIMIT,
  };
}

export const licenseRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/v1/license",
    access: { kind: "permission", permission: "view_cluster_info" },
    handler: (c): Reply => ({ status: 200, body: renderLicense(c.core) }),
  },
];
