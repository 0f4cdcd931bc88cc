/**
 * A PostgreSQL database for store tests: Debian's cluster as .ci/start-postgres sets it up (role and
 * database `occupancy` / `occupancy_test` on 127.0.0.1), or PG_TEST_URL. Each test gets a schema of
 * its own, dropped afterwards. Without a reachable server the tests are pending, unless
 * REQUIRE_POSTGRES=1 (as in CI), where that fails them.
 */
import pg from 'pg';

export const PG_TEST_URL = process.env['PG_TEST_URL'] ?? 'postgres://occupancy:occupancy@127.0.0.1:5432/occupancy_test';

let counter = 0;
let toldWhy = false;

export interface TestDatabase {
  url: string;
  schema: string;
  drop(): Promise<void>;
}

async function reachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh schema in the test database, or the test marked pending when there is no server (fails with REQUIRE_POSTGRES=1). */
export async function postgresOrSkip(context: Mocha.Context): Promise<TestDatabase> {
  const problem = await reachable();
  if (problem !== undefined) {
    if (process.env['REQUIRE_POSTGRES'] === '1') throw new Error(`PostgreSQL is required (REQUIRE_POSTGRES=1) but ${PG_TEST_URL} is not reachable: ${problem}`);
    if (!toldWhy) {
      toldWhy = true;
      process.stderr.write(`PostgreSQL tests pending: ${PG_TEST_URL.replace(/:[^:@/]*@/, ':***@')} is not reachable (${problem}); bash .ci/start-postgres starts one, REQUIRE_POSTGRES=1 makes this a failure\n`);
    }
    context.skip();
  }
  const schema = `t_${process.pid}_${Date.now().toString(36)}_${++counter}`;
  return {
    url: PG_TEST_URL,
    schema,
    drop: async () => {
      const client = new pg.Client({ connectionString: PG_TEST_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}
