import type pg from 'pg';

/**
 * Makes every client of the pool hear its connection's errors, checked out or idle.
 * pg-pool listens only while a client is idle, so a server that ends a connection held
 * between two statements (an open transaction) would raise an uncaught error and end
 * the process; heard, it fails that client's next statement instead.
 */
export function hearConnectionErrors(pool: pg.Pool, onError: (error: Error) => void): pg.Pool {
  pool.on('error', onError);
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      // While idle the pool's own listener is there too, and reports through 'error' above.
      if (client.listenerCount('error') === 1) onError(error);
    });
  });
  return pool;
}
