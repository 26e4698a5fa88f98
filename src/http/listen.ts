/** Binding a node:http server with an error a person can act on. */
import type { Server } from 'node:http';
import { AuthNotifyError } from '../protocol/errors.js';

/**
 * Binds the server; a port in use or an address that cannot be bound is STARTUP_FAILED naming the port
 * and the fix, not a raw EADDRINUSE.
 * @example await listen(server, 8787, '127.0.0.1');
 */
export async function listen(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      const message =
        error.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use`
          : error.code === 'EACCES'
            ? `no permission to listen on ${where}`
            : error.code === 'EADDRNOTAVAIL'
              ? `${host} is not an address of this machine`
              : `cannot listen on ${where} (${error.code ?? error.message})`;
      reject(
        new AuthNotifyError('STARTUP_FAILED', message, {
          cause: error,
          hint: 'Stop the other process or choose another --port (or --host).',
        }),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
