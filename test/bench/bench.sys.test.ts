import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runToExit } from "../../bench/support";
import { tempDir } from "../support/resources";

const ROOT = join(import.meta.dir, "..", "..");

type Results = {
  mode: string;
  sizes: { rounds: number };
  figures: {
    id: string;
    figure: string;
    subject: number;
    baseline: number | null;
    ratio: number | null;
    met: boolean;
  }[];
  rounds: { ingest: unknown[]; latency: unknown[]; loginFlood: unknown[]; catchUp: unknown[] };
};

// Keeps bench/ working: the whole suite at tiny sizes, real processes and wrk included. It asserts the
// shape of what it writes, never a speed.
describe("the benchmark suite in smoke mode", () => {
  test("runs every figure and writes a well-formed results.json and results.md", async () => {
    const out = tempDir("streamledger-bench-smoke-");
    try {
      const { stdout, stderr, code } = await runToExit(
        [process.execPath, join(ROOT, "bench", "run.ts"), "--smoke", "--out", out.path],
        { cwd: ROOT },
      );
      expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
      expect(stdout).toContain("| figure | subject | baseline | ratio | target | met |");

      const results = JSON.parse(readFileSync(join(out.path, "results.json"), "utf8")) as Results;
      expect(results.mode).toBe("smoke");
      expect(results.rounds.ingest).toHaveLength(results.sizes.rounds);
      expect(results.rounds.latency).toHaveLength(results.sizes.rounds);
      expect(results.rounds.loginFlood).toHaveLength(results.sizes.rounds);
      expect(results.rounds.catchUp).toHaveLength(results.sizes.rounds);
      expect(results.figures.map((figure) => figure.id)).toEqual([
        "ingest_rps",
        "ingest_p50",
        "ingest_p99",
        "end_to_end_rate",
        "end_to_end_p50",
        "end_to_end_p99",
        "catch_up_rate",
        "resume_seconds",
        "peak_rss_customers",
        "peak_rss_accounts",
        "login_flood_quiet_max",
        "login_flood_quiet_p50",
      ]);
      for (const figure of results.figures) {
        expect(Number.isFinite(figure.subject) && figure.subject > 0).toBe(true);
        if (figure.baseline !== null) expect(figure.baseline).toBeGreaterThan(0);
        if (figure.ratio !== null) expect(figure.ratio).toBeGreaterThan(0);
        expect(typeof figure.met).toBe("boolean");
      }
      expect(existsSync(join(out.path, "results.md"))).toBe(true);
    } finally {
      out.remove();
    }
  });
});
