import { createServer } from 'node:net';

/**
 * A loopback TCP port that was free a moment ago: listen on port 0, read what the OS chose,
 * close. For child processes (model workers, test servers) that must be told a port up front.
 */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}
