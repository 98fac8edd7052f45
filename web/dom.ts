// The few DOM helpers the pages share.

export const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function element(tag: string, className = "", text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Shows `text` in `element`, or hides it when there is none. */
export function show(element: HTMLElement, text: string | null) {
  element.hidden = text === null;
  element.textContent = text ?? "";
}

/** Plays the highlight animation again, even on an element that has it already. */
export function flash(node: HTMLElement) {
  node.classList.remove("flash");
  void node.offsetWidth;
  node.classList.add("flash");
}

/** Replaces a select's options, keeping the chosen one when it is still offered. */
export function fillSelect(select: HTMLSelectElement, options: [value: string, label: string][]) {
  const chosen = select.value;
  select.replaceChildren(
    ...options.map(([value, label]) => {
      const option = element("option", "", label) as HTMLOptionElement;
      option.value = value;
      return option;
    }),
  );
  if (options.some(([value]) => value === chosen)) select.value = chosen;
}
