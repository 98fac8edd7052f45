import { describe, expect, test } from "bun:test";
import { createChangeHub } from "../../accounts/live";

describe("the change hub", () => {
  test("tells every subscriber; one that throws is closed and dropped, the others go on", () => {
    const hub = createChangeHub();
    const seen: string[] = [];
    hub.subscribe({ changed: () => seen.push("a"), closed: () => seen.push("a closed") });
    hub.subscribe({
      changed: () => {
        throw new Error("client gone");
      },
      closed: () => seen.push("b closed"),
    });
    hub.subscribe({ changed: () => seen.push("c"), closed: () => seen.push("c closed") });

    hub.notify();
    hub.notify();
    expect(seen).toEqual(["a", "b closed", "c", "a", "c"]);
  });

  test("close ends every subscriber once; an unsubscribed one hears nothing", () => {
    const hub = createChangeHub();
    const seen: string[] = [];
    const leave = hub.subscribe({ changed: () => seen.push("a"), closed: () => seen.push("a closed") });
    hub.subscribe({ changed: () => seen.push("b"), closed: () => seen.push("b closed") });
    leave();
    hub.close();
    hub.notify();
    expect(seen).toEqual(["b closed"]);
  });
});
