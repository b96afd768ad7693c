// Users and roles, read only (GET /v1/users[/{uid}], GET /v1/roles[/{uid}]): the vendor's user and role objects
// built from the emulator's users (bootstrap credentials and POST /__emulator/users) and the built-in roles.
// Creating or changing users through the REST API is not emulated. A user object never holds its password.
import type { EmulatorCore } from "./core";
import { notFound } from "./errors";
import type { JsonObject } from "./json";
import type { Reply, Route } from "./router";
import { ROLES, type Role, type UserRecord } from "./state";

/** The built-in roles with the uids and display names of the vendor's example (GET /v1/roles). */
export const BUILT_IN_ROLES: ReadonlyArray<{ uid: number; name: string; management: Role }> = [
  { uid: 1, name: "Admin", management: "admin" },
  { uid: 2, name: "Cluster Member", management: "cluster_member" },
  { uid: 3, name: "Cluster Viewer", management: "cluster_viewer" },
  { uid: 4, name: "DB Member", management: "db_member" },
  { uid: 5, name: "DB Viewer", management: "db_viewer" },
  { uid: 6, name: "None", management: "none" },
];

function roleUid(role: Role): number {
  return BUILT_IN_ROLES.find((r) => r.management === role)?.uid ?? ROLES.indexOf(role) + 1;
}

/**
 * A user as GET /v1/users shows it. uids follow the order users were added (the emulator never deletes one).
 * Users log in with their e-mail on a real cluster, so `email` is the emulator's username, and `name` too.
 * UNCERTAIN: the password's issue date is not kept; the cluster's creation time stands for it.
 */
export function renderUser(core: EmulatorCore, user: UserRecord, index: number): JsonObject {
  return {
    auth_method: "regular",
    bdbs_email_alerts: [],
    email: user.username,
    email_alerts: true,
    name: user.username,
    password_issue_date: String(core.data.cluster.created_time),
    role: user.role,
    role_uids: [roleUid(user.role)],
    status: "active",
    uid: index + 1,
  };
}

function findIndex(text: string, length: number, what: string): number {
  const uid = Number(text);
  if (!Number.isSafeInteger(uid) || uid < 1 || uid > length) {
    throw notFound(`${what}_not_found`, `${what} ${text} does not exist`);
  }
  return uid - 1;
}

/** Listing users needs the admin role (view_all_users_info is admin only in the vendor's permission table). */
const usersAccess = { kind: "permission", permission: "view_all_users_info" } as const;
const rolesAccess = { kind: "permission", permission: "view_cluster_info" } as const;

export const userRoutes: Route[] = [
  { method: "GET", pattern: "/v1/users", access: usersAccess, handler: (c): Reply => ({ status: 200, body: c.core.data.users.map((u, i) => renderUser(c.core, u, i)) }) },
  {
    method: "GET",
    pattern: "/v1/users/:uid",
    access: usersAccess,
    handler: (c): Reply => {
      const index = findIndex(c.params.uid ?? "", c.core.data.users.length, "user");
      return { status: 200, body: renderUser(c.core, c.core.data.users[index]!, index) };
    },
  },
  { method: "GET", pattern: "/v1/roles", access: rolesAccess, handler: (): Reply => ({ status: 200, body: BUILT_IN_ROLES.map((r) => ({ ...r })) }) },
  {
    method: "GET",
    pattern: "/v1/roles/:uid",
    access: rolesAccess,
    handler: (c): Reply => {
      const uid = Number(c.params.uid);
      const role = BUILT_IN_ROLES.find((r) => r.uid === uid);
      if (!role) throw notFound("role_not_found", `role ${c.params.uid ?? ""} does not exist`);
      return { status: 200, body: { ...role } };
    },
  },
];
