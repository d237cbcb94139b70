import { Pool } from 'undici';

/** Keep-alive connections per backend; requests beyond these wait for one to come free. */
const CONNECTIONS_PER_BACKEND = 256;

/**
 * One keep-alive connection pool per backend origin, so that a request does not pay
 * for a TCP handshake. Pools of backends that left the route table are closed once
 * their requests in flight have finished.
 */
export class BackendPools {
  private readonly pools = new Map<string, Pool>();

  /** The pool for `origin` (`http://host:port`), created on first use. */
  get(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: CONNECTIONS_PER_BACKEND });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Closes the pools of every origin not in `origins`; their requests in flight still finish. */
  retainOnly(origins: ReadonlySet<string>): void {
    for (const [origin, pool] of this.pools) {
      if (origins.has(origin)) continue;
      this.pools.delete(origin);
      void pool.close().catch(() => undefined);
    }
  }

  async destroy(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined)));
  }
}
