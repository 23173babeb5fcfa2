/**
 * The control API's HTTP surface against web pages, careless clients and
 * attackers: bad paths.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { controlEnv } from "./shared/control_env.ts";
import { raw } from "./shared/raw_http.ts";

const A = "/api/v1";

describe("mock control - HTTP surface", () => {
  test("mock control - bad paths: malformed percent-encoding is 400, node numbers are decimal 0-15, journal kinds are own names", async () => {
    await using env = await controlEnv();
    const { url } = env;
    for (
      const [method, path] of [
        ["GET", `${A}/stubs/%E0%A4%A`],
        ["DELETE", `${A}/stubs/%`],
        ["DELETE", `${A}/faults/rules/%ZZ`],
        ["GET", `${A}/journal/%C0`],
        ["POST", `${A}/nodes/%E0/stop`],
      ]
    ) {
      const r = await raw(url, { method, path });
      assert.equal(r.status, 400, `${method} ${path}`);
      assert.equal(r.body.error.code, "invalid_path");
    }
    for (
      const unit of [
        "%20",
        "1e0",
        "0x1",
        "-0",
        "01",
        "+1",
        "1.0",
        "16",
        "99",
        "%200",
      ]
    ) {
      for (const verb of ["stop", "start"]) {
        const r = await raw(url, {
          method: "POST",
          path: `${A}/nodes/${unit}/${verb}`,
        });
        assert.equal(r.status, 400, `${unit} ${verb}`);
        assert.equal(r.body.error.code, "invalid_argument");
      }
    }
    const missing = await raw(url, {
      method: "POST",
      path: `${A}/nodes/5/stop`,
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "not_found");
    assert.deepEqual((await env.control.state()).nodes.map((n) => n.running), [
      true,
      true,
    ]);
    assert.equal(
      (await raw(url, { method: "POST", path: `${A}/nodes/1/stop` })).status,
      200,
    );
    assert.deepEqual((await env.control.state()).nodes.map((n) => n.running), [
      true,
      false,
    ]);

    for (
      const kind of [
        "constructor",
        "__proto__",
        "toString",
        "hasOwnProperty",
        "valueOf",
      ]
    ) {
      for (const tail of ["", "/count", "/wait?timeoutMs=0"]) {
        const r = await raw(url, { path: `${A}/journal/${kind}${tail}` });
        assert.equal(r.status, 404, `${kind}${tail}`);
        assert.equal(r.body.error.code, "not_found");
      }
    }
  });
});
