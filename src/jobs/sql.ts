import type { EntityManager } from '@mikro-orm/postgresql';

/** Raw SQL on the EntityManager's connection, inside its transaction when it has one. */
export function execute<T = unknown>(em: EntityManager, sql: string, params: unknown[] = []): Promise<T> {
  return em.getConnection().execute(sql, params, 'all', em.getTransactionContext()) as Promise<T>;
}
