/** A request's parts: `json` is sent with Content-Type application/json, `body` is sent as it is. */
export type Send = {
  authorization?: string;
  json?: unknown;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
};

/** One bad request and what it must get: `status`, and an `errors` entry for each of `fields`. */
export type Case = { situation: string; status: number; fields: string[]; send: () => Send };

export function rejects(situation: string, status: number, fields: string[], send: () => Send): Case {
  return { situation, status, fields, send };
}

const raw = (body: string | Uint8Array, contentType?: string): Send => ({
  body,
  headers: contentType ? { "content-type": contentType } : {},
});

/** Bodies no JSON write route can read, whatever fields it wants. */
export const unreadableBodies: Case[] = [
  rejects("the body is malformed JSON", 400, [], () => raw('{"name": ', "application/json")),
  rejects("the body is empty", 400, [], () => raw("", "application/json")),
  rejects("there is no body", 400, ["body"], () => ({ headers: { "content-type": "application/json" } })),
  rejects("the content type is text/plain", 415, ["body"], () => raw('{"name":"x"}', "text/plain")),
  rejects("the body is a form", 415, ["body"], () => raw("name=x", "application/x-www-form-urlencoded")),
  rejects("there is no content type", 415, ["body"], () => raw(new TextEncoder().encode('{"name":"x"}'))),
  rejects("the body is a JSON array", 422, ["body"], () => ({ json: [] })),
  rejects("the body is a JSON string", 422, ["body"], () => ({ json: "x" })),
  rejects("the body is JSON null", 400, ["body"], () => raw("null", "application/json")),
  rejects("the body is a JSON number", 422, ["body"], () => ({ json: 42 })),
  rejects("a key is given twice", 422, ["name"], () => raw('{"name":"a","name":"b"}', "application/json")),
  rejects("a key is given twice, once escaped", 422, ["name"], () =>
    raw('{"name":"a","n\u0061me":"b"}', "application/json"),
  ),
  rejects("the body is invalid UTF-8", 400, [], () =>
    raw(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22]), "application/json"),
  ),
];
