import { type ServiceAppDeps, serviceApp } from "../shared/http/service-app";
import { type AuthRoutesDeps, authRoutes } from "./auth/routes";
import { onlyKnownUsers } from "./auth/tokens";
import { dashboardRoutes } from "./dashboard";
import { type LiveRoutesDeps, liveRoutes } from "./live";
import { accountsOpenApi } from "./openapi";
import { type AccountRoutesDeps, accountRoutes } from "./routes";

export type AccountsAppDeps = AccountRoutesDeps &
  AuthRoutesDeps &
  ServiceAppDeps &
  Omit<LiveRoutesDeps, "authenticate"> & {
    /** customers as the dashboard's browser reaches it. */
    customersUrl: string;
  };

/** The accounts HTTP application; it does not listen, main.ts does. */
export function createApp(deps: AccountsAppDeps) {
  const authenticate = onlyKnownUsers(
    deps.authenticate,
    (username) => deps.store.findUser(username) !== undefined,
  );
  return serviceApp("accounts", deps, accountsOpenApi(deps.limits))
    .use(dashboardRoutes(deps.customersUrl))
    .use(authRoutes(deps))
    .use(liveRoutes({ ...deps, authenticate }))
    .use(accountRoutes({ ...deps, authenticate }));
}
