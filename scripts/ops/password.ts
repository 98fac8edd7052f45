import { Failure } from "./cli";

/**
 * The new password: OPS_PASSWORD when set, else typed at a terminal (not echoed, asked twice), else the
 * first line of stdin. Never from the command line, where `ps` and shell history would keep it.
 */
export async function readPassword(env: Record<string, string | undefined>): Promise<string> {
  const fromEnv = env.OPS_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (process.stdin.isTTY) {
    const first = await promptHidden("new password: ");
    const again = await promptHidden("new password again: ");
    if (first !== again) throw new Failure("the two passwords differ; nothing changed");
    return first;
  }
  return firstLine(await readAll(process.stdin));
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}

export function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? "";
}

/** Reads one line from the terminal in raw mode, so what is typed is not shown; Ctrl-C cancels. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let typed: string[] = [];
    const finish = (outcome: () => void) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      outcome();
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of String(chunk)) {
        if (char === "\r" || char === "\n") return finish(() => resolve(typed.join("")));
        if (char === "\u0003" || char === "\u0004") return finish(() => reject(new Failure("cancelled")));
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed.push(char);
      }
    };
    stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    stdin.on("data", onData);
    stdin.resume();
  });
}
