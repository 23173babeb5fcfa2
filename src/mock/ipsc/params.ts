/**
 * How a mock IPSC reads the parameters of a flow invocation: the JSON array
 * text the caller sent (GBK, UTF-8 accepted), the way a real IPSC would.
 * Its refusals speak of parameters, since the caller sent them.
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * // a flow handler receives the parsed list: [1, "a"] for '[1,"a"]'
 * bus.addIpsc({ unitId: 0, processIndex: 0 }).flow("p", "echo", (params) => params);
 * ```
 * @module
 */
import { decodeGbkOrUtf8, stripNuls } from "../../api/text.ts";

/**
 * The parameter list of an invocation: NULs at the ends stripped, decoded
 * as GBK (UTF-8 fallback), parsed as JSON. Blank text is an empty list; a
 * JSON value that is not an array becomes a one-element list. Text that is
 * not JSON throws a `SyntaxError` saying the parameters are not valid JSON,
 * with the text (cut at 200 characters).
 *
 * @example
 * ```ts
 * // What a flow handler gets for each parameter text a caller may send:
 * const cases: [string, unknown[]][] = [['[1,"a"]', [1, "a"]], ["5", [5]], ["", []]];
 * console.log(cases.length); // 3
 * ```
 */
export function parseFlowParams(bytes: Uint8Array): unknown[] {
  const text = decodeGbkOrUtf8(stripNuls(bytes));
  if (text.trim() === "") return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const shown = text.length > 200 ? text.slice(0, 200) + "…" : text;
    throw new SyntaxError(
      `the flow parameters are not valid JSON: ${JSON.stringify(shown)}`,
      { cause: e },
    );
  }
  return Array.isArray(value) ? value : [value];
}
