/**
 * A scripted bus node speaking the vendor library's framing (see
 * `docs/abi.md`): it answers each registration with a chosen ack (and, after
 * an ack of 0, sends the client one user data frame when asked) and each
 * heartbeat with its ack, and nothing else. Enough to log the vendor's
 * library in or to refuse it; the full protocol is the mock bus's job.
 */
import { createServer, type Server, type Socket } from "node:net";

const HEAD = 20;
const FLAG = 0x5b15;
const CMD_REGISTRATION = 1;
const CMD_REGISTRATION_ACK = 2;
const CMD_HEARTBEAT = 5;
const CMD_HEARTBEAT_ACK = 6;

export interface VendorPeer {
  readonly host: string;
  readonly port: number;
  /** Registrations received so far. */
  readonly registrations: number;
  close(): Promise<void>;
}

function frame(
  cmd: number,
  srcUnit: number,
  body: Uint8Array,
  cmdType = 0, // internal
  dst: Uint8Array = new Uint8Array(3), // type, unit, client
): Uint8Array {
  const out = new Uint8Array(HEAD + body.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, FLAG, true);
  out[2] = cmd;
  out[3] = cmdType;
  out[4] = 1; // src type: a node
  v.setInt8(5, srcUnit);
  v.setInt8(6, -1); // a node's client id
  out.set(dst, 7);
  v.setInt32(12, out.length, true); // packet_size
  v.setInt32(16, body.length, true); // datalen
  out.set(body, HEAD);
  return out;
}

/**
 * A node of unit `unitId` on 127.0.0.1 that answers registrations with
 * `ack`; after an ack of 0 it sends the client `data` (cmd 1, cmdtype 3).
 */
export async function vendorPeer(
  ack: number,
  unitId = 0,
  data?: Uint8Array,
): Promise<VendorPeer> {
  const sockets = new Set<Socket>();
  let registrations = 0;
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    let buf = new Uint8Array(0);
    s.on("data", (chunk: Uint8Array) => {
      const joined = new Uint8Array(buf.length + chunk.length);
      joined.set(buf);
      joined.set(chunk, buf.length);
      buf = joined;
      while (buf.length >= HEAD) {
        const v = new DataView(buf.buffer, buf.byteOffset, buf.length);
        const size = v.getInt32(12, true);
        if (v.getUint16(0, true) !== FLAG || size < HEAD) return s.destroy();
        if (buf.length < size) return;
        const cmd = buf[2];
        const head = buf.slice(0, HEAD);
        const body = buf.slice(HEAD, HEAD + v.getInt32(16, true));
        buf = buf.slice(size);
        if (cmd === CMD_REGISTRATION) {
          registrations++;
          const b = new Uint8Array(4);
          new DataView(b.buffer).setInt32(0, ack, true);
          s.write(frame(CMD_REGISTRATION_ACK, unitId, b));
          // The registration's source is the client: <type, unit, client>.
          const client = head.subarray(4, 7);
          if (ack === 0 && data) s.write(frame(1, unitId, data, 3, client));
        } else if (cmd === CMD_HEARTBEAT) {
          s.write(frame(CMD_HEARTBEAT_ACK, unitId, body));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    host: "127.0.0.1",
    port,
    get registrations() {
      return registrations;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
