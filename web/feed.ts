import { byId, element } from "./dom";

const FEED_LENGTH = 50;

/** Adds a line, newest first, to the live events feed, which keeps the newest 50. */
export function feed(text: string) {
  const item = element("li");
  const time = element("time", "", new Date().toLocaleTimeString());
  item.append(time, document.createTextNode(text));
  const list = byId<HTMLOListElement>("feed");
  list.prepend(item);
  while (list.children.length > FEED_LENGTH) list.lastElementChild?.remove();
}

export function clearFeed() {
  byId<HTMLOListElement>("feed").replaceChildren();
}
