/**
 * A short tour on the built-in mock bus, no server needed:
 * `npm run demo` (or `deno task demo`, `bun examples/demo.ts`).
 *
 * Two units (17 and 18) join a bus of one node; an IPSC flow server answers
 * flows. Unit 17 invokes a flow, sends text to unit 18, pings it, and sees
 * unit 18 arrive through a global connect event.
 */
import { Client, ClientType, CmdType, SmartBus } from "../mod.ts";
import { MockBackend, MockBus } from "../src/mock/mod.ts";

const say = (who: string, what: string) =>
  console.log(`${who.padEnd(8)} ${what}`);

// The bus: node 0 at 127.0.0.1:8000 and an IPSC (unit 0, process 0) with one flow.
const mock = new MockBus();
mock.addNode({ unitId: 0, port: 8000 });
mock.addIpsc({ unitId: 0, processIndex: 0 }).flow("demo", "greet", ([name]) => {
  say("ipsc", `flow demo/greet called with ${JSON.stringify(name)}`);
  return [`你好, ${name}!`, new Date(0).toISOString()];
});

// Unit 17: the app. Its global connect handler shows who comes and goes.
await using app = new SmartBus({
  unitId: 17,
  backend: new MockBackend(mock),
});
const arrived = Promise.withResolvers<void>();
app.on("globalConnect", (g) => {
  const what = g.clientId === -1
    ? `node ${g.unitId}`
    : `client ${g.unitId}/${g.clientId} (type ${g.clientType})`;
  const how = ["left", "joined", "was already there"][g.status];
  say(
    "app",
    `global connect: ${what} ${how}${g.addInfo ? ` — "${g.addInfo}"` : ""}`,
  );
  if (g.unitId === 18 && g.status === 1) arrived.resolve();
});
const client = new Client({
  bus: app,
  localClientId: 1,
  localClientType: ClientType.AGENT,
  masterHost: "127.0.0.1",
  masterPort: 8000,
});
say(
  "app",
  `connected to node ${await client.connect()} as ${client.addr_expr}`,
);

// Unit 18: a second app on the same bus, announced to unit 17.
await using peerUnit = new SmartBus({
  unitId: 18,
  backend: new MockBackend(mock),
});
const peer = new Client({
  bus: peerUnit,
  localClientId: 1,
  localClientType: ClientType.AGENT,
  masterHost: "127.0.0.1",
  masterPort: 8000,
  extInfo: "seat 42",
});
const heard = Promise.withResolvers<string>();
peer.onReceiveText = (info, txt) => {
  say(
    "peer",
    `received "${txt}" (cmd ${info.cmd}, from ${info.srcUnitId}/${info.srcUnitClientId})`,
  );
  heard.resolve(txt);
};
await peer.connect();
await arrived.promise;

// A flow call, awaited: resolves with the flow's result list.
const result = await client.invoke({
  server: 0,
  process: 0,
  project: "demo",
  flow: "greet",
  params: ["world"],
}, { timeout: 5000 });
say("app", `flow result: ${JSON.stringify(result)}`);

// Text to the peer, then a ping with its round trip.
client.send(1, CmdType.USER, 18, 1, ClientType.AGENT, "hello from unit 17");
await heard.promise;
const rtt = await client.rtt({
  unitId: 18,
  clientId: 1,
  clientType: ClientType.AGENT,
}, { timeout: 5000 });
say("app", `ping to 18/1 answered in ${rtt.toFixed(2)} ms`);
say("app", "done");
