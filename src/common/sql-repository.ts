import { EntityRepository } from '@mikro-orm/postgresql';

/** The current time as the schema keeps it: TIMESTAMP without zone, in UTC. */
export const NOW_UTC = "now() AT TIME ZONE 'UTC'";

/**
 * A repository that may also speak raw SQL where the ORM cannot say it well. The SQL runs on the
 * repository's EntityManager: obtained with `tx.getRepository(Entity)` inside `em.transactional`,
 * every statement joins that transaction.
 */
export abstract class SqlRepository<T extends object> extends EntityRepository<T> {
  protected execute<R = Record<string, unknown>[]>(sql: string, params: unknown[] = []): Promise<R> {
    const em = this.getEntityManager();
    return em.getConnection().execute(sql, params, 'all', em.getTransactionContext()) as Promise<R>;
  }
}

/** `{a,b}` for `?::uuid[]` / `?::varchar[]` parameters. */
export const pgArray = (values: readonly string[]): string => `{${values.join(',')}}`;
