import { byId, show } from "./dom";
import { describeProblem, type Problem } from "./format";
import type { Session } from "./session";

/** What a form asks for: a POST of `body` to `url`, or an error found before sending anything. */
export type FormRequest = { url: string; body: unknown } | { error: string; fields: string[] };

/** A form that creates a record belonging to another, chosen in one of its selects. */
export type FormSpec = {
  /** The owner's select, its field, and the error while it offers no choice (none was created yet). */
  owner: { select: string; field: string; missing: string };
  /** Reads the rest of the form. */
  request: (ownerId: string) => FormRequest;
  /** Words the created record for the form's ok line (and may clear fields). */
  done: (body: Record<string, unknown>) => string;
};

/** Wires a form's submit: a refused request shows the problem and marks the fields it names. */
export function onSubmit(session: Session, formId: string, spec: FormSpec) {
  byId<HTMLFormElement>(formId).addEventListener("submit", (event) => {
    event.preventDefault();
    void submit(session, event.currentTarget as HTMLFormElement, spec);
  });
}

async function submit(session: Session, form: HTMLFormElement, spec: FormSpec) {
  const button = form.querySelector("button") as HTMLButtonElement;
  const ownerId = byId<HTMLSelectElement>(spec.owner.select).value;
  const request = ownerId ? spec.request(ownerId) : { error: spec.owner.missing, fields: [spec.owner.field] };
  if ("error" in request) {
    markInvalid(form, request.fields);
    return setMessages(form, request.error, null);
  }
  button.disabled = true;
  setMessages(form, null, null);
  // A fresh key per submission: a retried request is answered once, never doubled.
  const reply = await session.call(request.url, {
    method: "POST",
    body: JSON.stringify(request.body),
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  button.disabled = false;
  if (reply.ok) {
    markInvalid(form, []);
    setMessages(form, null, spec.done(reply.body as Record<string, unknown>));
  } else {
    const problem = (typeof reply.body === "object" && reply.body !== null ? reply.body : {}) as Problem;
    markInvalid(form, Object.keys(problem.errors ?? {}));
    setMessages(form, describeProblem(problem, reply.status), null);
  }
}

function setMessages(form: HTMLFormElement, error: string | null, ok: string | null) {
  show(form.querySelector<HTMLElement>(".error") as HTMLElement, error);
  const okLine = form.querySelector<HTMLElement>(".ok");
  if (okLine) show(okLine, ok);
}

function markInvalid(form: HTMLFormElement, fields: string[]) {
  for (const input of form.querySelectorAll<HTMLInputElement>("input, select")) {
    const name = input.name === "amount" ? "purchase_price_cents" : input.name;
    input.setAttribute("aria-invalid", String(fields.includes(name)));
  }
}
