import { type ServiceAppDeps, serviceApp } from "../shared/http/service-app";
import { customersOpenApi } from "./openapi";
import { type CustomerRoutesDeps, customerRoutes } from "./routes";

export type CustomersAppDeps = CustomerRoutesDeps & ServiceAppDeps;

/** The customers HTTP application; it does not listen, main.ts does. */
export function createApp(deps: CustomersAppDeps) {
  return serviceApp("customers", deps, customersOpenApi(deps.limits)).use(customerRoutes(deps));
}
