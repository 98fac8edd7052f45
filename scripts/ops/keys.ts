import {
  describeKeyFile,
  KeyRotationRefused,
  rotateKeyFile,
  signingKeyFileOf,
} from "../../accounts/auth/keys";
import { type Command, type Context, DONE, Failure, parseOptions, positionals, subcommands } from "./cli";

export const keys: Command = {
  usage: `usage: npm run ops -- keys <subcommand>

The accounts service's token signing keys, in DATA_DIR/accounts-signing-keys.json (owner-only).

  keys list              the current key (signs new tokens) and the previous one (still verifies
                         the tokens it signed), with the time each started signing
  keys rotate [--force]  make a new current key; the current one becomes the previous, the previous
                         one is dropped. The running service picks the change up at its next request
                         and customers fetches the new public key when a token first names it: no
                         restart, no token refused. Refused (exit 1) while the current key is younger
                         than TOKEN_TTL_SECONDS, because tokens of the key it would drop may still be
                         live; --force drops it anyway (e.g. after a key leaked).

Not available when the key comes from JWT_PRIVATE_KEY: rotate that by setting the new key there and
the old one in JWT_PREVIOUS_KEY, then restarting accounts.`,
  async run(args, context) {
    if (context.config.JWT_PRIVATE_KEY !== undefined) {
      throw new Failure("the signing key comes from JWT_PRIVATE_KEY; rotate it there (see keys --help)");
    }
    return keysSubcommands(args, context);
  },
};

const keysSubcommands = subcommands("keys", { list, rotate });

async function list(args: string[], context: Context): Promise<number> {
  positionals(parseOptions(args, {}).positionals, []);
  const file = signingKeyFileOf(context.config.DATA_DIR);
  let described: Awaited<ReturnType<typeof describeKeyFile>>;
  try {
    described = await describeKeyFile(file);
  } catch (error) {
    throw new Failure(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  described.forEach(({ kid, activatedAt }, index) => {
    console.log(`${index === 0 ? "current " : "previous"}  ${kid}  signing since ${activatedAt}`);
  });
  return DONE;
}

async function rotate(args: string[], context: Context): Promise<number> {
  const { values, positionals: rest } = parseOptions(args, { force: { type: "boolean" } });
  positionals(rest, []);
  try {
    const file = signingKeyFileOf(context.config.DATA_DIR);
    const result = await rotateKeyFile(file, new Date(), context.config.TOKEN_TTL_SECONDS, values.force);
    console.log(`current key ${result.current}; previous ${result.previous ?? "none"}`);
    return DONE;
  } catch (error) {
    if (error instanceof KeyRotationRefused) throw new Failure(error.message);
    throw error;
  }
}
