import { element } from "./dom";

type Operation = {
  summary?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown; description?: string }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
};
type ApiDocument = {
  info: { title: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
};

function schemaBlock(label: string, schema: unknown): HTMLElement {
  const block = element("div");
  block.append(element("strong", "", label), element("pre", "", JSON.stringify(schema, null, 2)));
  return block;
}

function renderOperation(path: string, method: string, operation: Operation): HTMLElement {
  const details = element("details", "card op");
  const summary = element("summary");
  summary.append(
    element("span", `method ${method}`, method),
    element("code", "path", path),
    element("span", "muted", `${operation.summary ?? ""}${operation.security ? " · bearer token" : ""}`),
  );
  details.append(summary);
  for (const parameter of operation.parameters ?? []) {
    const required = parameter.required ? ", required" : "";
    details.append(schemaBlock(`${parameter.in} parameter ${parameter.name}${required}`, parameter.schema));
  }
  for (const [type, content] of Object.entries(operation.requestBody?.content ?? {})) {
    details.append(schemaBlock(`Request body (${type})`, content.schema));
  }
  for (const [status, response] of Object.entries(operation.responses)) {
    const entries = Object.entries(response.content ?? {});
    if (entries.length === 0) details.append(element("p", "", `${status}: ${response.description}`));
    for (const [type, content] of entries) {
      details.append(schemaBlock(`${status} ${response.description} (${type})`, content.schema));
    }
  }
  return details;
}

async function main() {
  const operations = document.getElementById("operations") as HTMLElement;
  try {
    const response = await fetch("/openapi.json");
    const spec = (await response.json()) as ApiDocument;
    document.title = `${spec.info.title} · API docs`;
    (document.getElementById("title") as HTMLElement).textContent = spec.info.title;
    (document.getElementById("description") as HTMLElement).textContent = spec.info.description ?? "";
    const byTag = new Map<string, HTMLElement[]>();
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const tag = operation.tags?.[0] ?? "other";
        byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(path, method, operation)]);
      }
    }
    operations.replaceChildren(...[...byTag].flatMap(([tag, nodes]) => [element("h2", "", tag), ...nodes]));
  } catch (error) {
    operations.replaceChildren(element("p", "error", `Could not load /openapi.json: ${String(error)}`));
  }
}

void main();
