/**
 * Experimental persistent-connection transport for heartbeats, measured against HTTP keep-alive
 * by `manager-net.ts`: one WebSocket per client at `/v1/ws`, a heartbeat is one text frame
 * holding the lease id, and the answer is one text frame with the same JSON an HTTP heartbeat
 * returns (`{ lease }`, or `{ code, message }` for an unknown lease). Leases are still acquired
 * and released over HTTP. Bench-only: see docs/manager-protocol.md for why it was not adopted.
 */
import type { Server } from 'node:http';
import type { LicenseManager } from '@lictor/manager';
import { WebSocketServer } from 'ws';

/** Path of the WebSocket endpoint. */
export const WS_PATH = '/v1/ws';

/** Serves WebSocket heartbeats on `server`'s port; `close()` stops it. */
export function attachWsHeartbeats(server: Server, manager: LicenseManager): WebSocketServer {
  const wss = new WebSocketServer({ server, path: WS_PATH, maxPayload: 1024 });
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const id = data.toString();
      const result = manager.heartbeat(id);
      socket.send(
        result.kind === 'renewed'
          ? JSON.stringify({ lease: manager.leaseBody(result.lease) })
          : JSON.stringify({ code: 'LICTOR_E_LEASE_UNKNOWN', message: `lease '${id}' is unknown` }),
      );
    });
  });
  return wss;
}
