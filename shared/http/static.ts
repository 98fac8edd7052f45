import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Elysia } from "elysia";
import { problem } from "./problem";

/** The browser pages' sources (web/) and the scripts `npm run build:web` bundles from them (web/build/). */
export const WEB_DIR = fileURLToPath(new URL("../../web/", import.meta.url));

/** A file served as it is, or with `{{NAME}}` placeholders filled from `vars` (HTML-escaped). */
export type Asset = { route: string; file: string; contentType: string; vars?: Record<string, string> };

/** The content types of the files pages are made of. */
export const CONTENT_TYPES = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript",
};

/**
 * A page's Content-Security-Policy: only this origin's own scripts and styles (no inline code, no CDN),
 * and requests to this origin plus `connectTo`.
 */
export function pagePolicy(connectTo: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${connectTo.map((origin) => ` ${origin}`).join("")}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * Serves a fixed list of files (never a path from the request) with their own CSP. A bundle that was
 * not built answers 503 saying how to build it.
 */
export function staticRoutes(assets: readonly Asset[], policy: string) {
  let app = new Elysia();
  for (const asset of assets) {
    app = app.get(asset.route, async () => {
      let text: string;
      try {
        text = await readFile(asset.file, "utf8");
      } catch {
        return problem(503, "Not built", `${asset.route} is not built yet: run \`npm run build:web\``);
      }
      for (const [name, value] of Object.entries(asset.vars ?? {})) {
        text = text.replaceAll(`{{${name}}}`, escapeHtml(value));
      }
      return new Response(text, {
        headers: {
          "content-type": asset.contentType,
          "cache-control": "no-cache",
          "content-security-policy": policy,
        },
      });
    });
  }
  return app;
}

/** `GET /openapi.json` and the `/docs` page that renders it (its script and style served here too). */
export function docsRoutes(document: unknown) {
  const body = JSON.stringify(document);
  return new Elysia()
    .get(
      "/openapi.json",
      () =>
        new Response(body, { headers: { "content-type": "application/json", "cache-control": "no-cache" } }),
    )
    .use(
      staticRoutes(
        [
          { route: "/docs", file: `${WEB_DIR}docs.html`, contentType: CONTENT_TYPES.html },
          { route: "/assets/docs.js", file: `${WEB_DIR}build/docs.js`, contentType: CONTENT_TYPES.js },
          { route: "/assets/style.css", file: `${WEB_DIR}style.css`, contentType: CONTENT_TYPES.css },
        ],
        pagePolicy(),
      ),
    );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
