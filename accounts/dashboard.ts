import { CONTENT_TYPES, pagePolicy, staticRoutes, WEB_DIR } from "../shared/http/static";

/** The dashboard: `/` and its script; its forms post to customers at `customersUrl`. */
export function dashboardRoutes(customersUrl: string) {
  return staticRoutes(
    [
      {
        route: "/",
        file: `${WEB_DIR}index.html`,
        contentType: CONTENT_TYPES.html,
        vars: { CUSTOMERS_URL: customersUrl },
      },
      { route: "/assets/dashboard.js", file: `${WEB_DIR}build/dashboard.js`, contentType: CONTENT_TYPES.js },
    ],
    pagePolicy([new URL(customersUrl).origin]),
  );
}
