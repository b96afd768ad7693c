// Routes: method + path pattern ("/v1/bdbs/:uid") -> handler, with the permission each needs. Matching is
// pure; the server decides what to do with "no such path" (404) and "no such method on this path" (405).
import type { IncomingHttpHeaders } from "node:http";
import type { EmulatorCore } from "./core";
import type { JsonValue } from "./json";
import type { NodeRecord, Role, UserRecord } from "./state";

export type Permission =
  | "view_cluster_info"
  | "view_all_bdbs_info"
  | "update_cluster"
  | "create_bdb"
  | "update_bdb"
  | "delete_bdb"
  | "view_all_users_info";

const VIEW: Permission[] = ["view_cluster_info", "view_all_bdbs_info"];
const DB_WRITE: Permission[] = ["create_bdb", "update_bdb", "delete_bdb"];

/**
 * Built-in roles (reference §1.2): update_cluster is admin only; bdb writes are admin, cluster_member and
 * db_member; viewing is every built-in role.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  // view_all_users_info (GET /v1/users) is admin only in the vendor's permission table.
  admin: new Set<Permission>([...VIEW, ...DB_WRITE, "update_cluster", "view_all_users_info"]),
  cluster_member: new Set<Permission>([...VIEW, ...DB_WRITE]),
  db_member: new Set<Permission>([...VIEW, ...DB_WRITE]),
  cluster_viewer: new Set<Permission>(VIEW),
  db_viewer: new Set<Permission>(VIEW),
  none: new Set<Permission>(),
};

/** Who may call a route. */
export type Access =
  /** No credentials (the test-control API). */
  | { kind: "public" }
  /** Credentials with this permission; the node must be a cluster member. */
  | { kind: "permission"; permission: Permission }
  /** Bootstrap: open while the node is not in a cluster, then like `permission` (reference §1.2). */
  | { kind: "bootstrap"; permission: Permission };

export interface RequestContext {
  core: EmulatorCore;
  /** The node whose API received the request. */
  node: NodeRecord;
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: JsonValue | undefined;
  user?: UserRecord;
  /** Set by a failAction fault; the first async action the request starts consumes it. */
  failNextAction: boolean;
}

export interface Reply {
  status: number;
  /** Undefined: an empty body (several real endpoints answer 200 with nothing). */
  body?: JsonValue;
  headers?: Record<string, string>;
}

export type Handler = (context: RequestContext) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  pattern: string;
  access: Access;
  handler: Handler;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

export type RouteMatch =
  | { kind: "found"; route: Route; params: Record<string, string> }
  | { kind: "method-not-allowed"; allowed: string[] }
  | { kind: "not-found" };

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.pattern
    .split("/")
    .map((segment) => {
      if (segment.startsWith(":")) {
        names.push(segment.slice(1));
        return "([^/]+)";
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { ...route, regex: new RegExp(`^${source}$`), names };
}

export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(...routes: Route[]): this {
    for (const route of routes) this.routes.push(compile(route));
    return this;
  }

  match(method: string, path: string): RouteMatch {
    const allowed: string[] = [];
    for (const route of this.routes) {
      const found = route.regex.exec(path);
      if (!found) continue;
      if (route.method !== method) {
        if (!allowed.includes(route.method)) allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      route.names.forEach((name, index) => {
        const raw = found[index + 1] ?? "";
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          // Malformed percent-encoding: keep the raw text; the handler then reports an unknown object.
          params[name] = raw;
        }
      });
      return { kind: "found", route, params };
    }
    return allowed.length > 0 ? { kind: "method-not-allowed", allowed } : { kind: "not-found" };
  }
}

/** True when `?name` is present and not "false" or "0" (`?dry_run` works without a value). */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  if (!query.has(name)) return false;
  const value = query.get(name)?.toLowerCase();
  return value !== "false" && value !== "0";
}
