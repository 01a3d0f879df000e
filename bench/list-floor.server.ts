/**
 * The floor for GET /v1/songs on this machine: a bare node:http server that runs the route's
 * own SQL (built by SongRepository.buildListQuery) on a pg pool and answers the rows as JSON,
 * with no framework, middleware, validation, mapping or cursor. bench/songs.bench.ts starts it in
 * a process of its own beside the service, to show how much of the gap to the SQL any HTTP
 * server in another process pays here.
 */
import { createServer } from 'node:http';
import { Pool } from 'pg';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const { sql, bindings } = JSON.parse(process.env.LIST_SQL ?? '{}') as { sql: string; bindings: unknown[] };

createServer((req, res) => {
  if (req.url !== '/list') {
    res.writeHead(404).end();
    return;
  }
  pool.query(sql, bindings).then(
    ({ rows }) => {
      const body = JSON.stringify({ items: rows.slice(0, 50), nextCursor: null });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
    },
    () => res.writeHead(500).end(),
  );
}).listen(Number(process.env.PORT), '127.0.0.1');
