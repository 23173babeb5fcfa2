/** The in-memory env: the mock backend on a virtual clock. */
import { silentLogger, SmartBus, type SmartBusOptions } from "../../mod.ts";
import { MockBackend, MockBus, VirtualClock } from "../../src/mock/mod.ts";
import type { EnvFactory, TestEnv } from "./env.ts";

const RECONNECT_MS = 3000;

export const mockEnv: EnvFactory = () => {
  const clock = new VirtualClock();
  const bus = new MockBus({ clock, strict: true, logger: () => {} });
  const master = bus.addNode({ unitId: 0, port: 8000 });
  const slave = bus.addNode({ unitId: 1, port: 8001 });
  const secured = bus.addNode({
    unitId: 2,
    port: 8002,
    users: { alice: "s3cret" },
  });
  const ipsc = bus.addIpsc({ unitId: 0, processIndex: 0, node: 0 });
  const units: SmartBus[] = [];
  const unitOptions = (): Partial<SmartBusOptions> => ({
    backend: new MockBackend(bus, { reconnectIntervalMs: RECONNECT_MS }),
    logger: silentLogger,
  });
  const env: TestEnv = {
    name: "mock",
    virtualTime: true,
    multiUnit: true,
    bus,
    ipsc,
    master,
    slave,
    secured,
    reconnectMs: RECONNECT_MS,
    unitOptions,
    unit(unitId, options) {
      const u = new SmartBus({ unitId, ...unitOptions(), ...options });
      units.push(u);
      return u;
    },
    peer: (unitId, options) => env.unit(unitId, options),
    peerMaster: master,
    pass: (ms) => clock.advance(ms),
    close() {
      for (const u of units) u.close();
      bus.reset();
      return Promise.resolve();
    },
  };
  return Promise.resolve(env);
};
