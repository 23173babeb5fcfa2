/**
 * Puts the latest tables into `bench/README.md`, each between its markers
 * (`<!-- bench:table:start -->` and `<!-- bench:table:end -->` for the
 * stand-in's, `bench:vendor:…` for the vendor library's, `bench:traced:…`
 * for the runs with a tracing subscriber); the rest of the
 * page (method, findings) is written by hand and left as it is.
 *
 * ```ts
 * import { updateReadme } from "./readme.ts";
 * declare const counts: import("./plan.ts").Counts;
 * await updateReadme("bench/README.md", "table", "Full run: ...", "| a |", counts);
 * ```
 * @module
 */
import type { Counts } from "./plan.ts";

/** Replace (or create) the section `name` of the README at `path`. */
export async function updateReadme(
  path: string,
  name: "table" | "vendor" | "traced",
  header: string,
  markdown: string,
  counts: Counts,
): Promise<void> {
  const START = `<!-- bench:${name}:start -->`;
  const END = `<!-- bench:${name}:end -->`;
  const section = [
    START,
    "",
    `_${header}_`,
    "",
    `Counts: send ${counts.send.count} (batches of ${counts.send.batch}, median of ${counts.send.runs} runs); ` +
    `receive ${counts.recv.count} ` +
    `(timed after ${counts.recv.warm}); flows ${
      counts.flow.flows.join(" / ")
    } at ` +
    `${
      counts.flow.inflight.join(" / ")
    } in flight (median of ${counts.flow.runs} runs); in-memory bus ${counts.membus.messages} messages, ` +
    `${counts.membus.flows} flows, ${counts.membus.pending} pending calls.`,
    "",
    markdown,
    "",
    END,
  ].join("\n");
  let text = await Deno.readTextFile(path).catch(() =>
    `# Benchmarks\n\n${START}\n${END}\n`
  );
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  text = a >= 0 && b > a
    ? text.slice(0, a) + section + text.slice(b + END.length)
    : `${text}\n${section}\n`;
  await Deno.writeTextFile(path, text);
}
