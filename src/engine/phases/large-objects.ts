// Step 5: the source's large objects — oids, owners, ACLs, contents — in oid order, each batch one target transaction with its event.
import type pg from 'pg';
import { quoteIdent } from '../../events/names.js';
import type { RunOptions } from '../../events/schemas.js';
import type { RunState } from '../../events/state.js';
import { checkBudget } from '../budget.js';
import { closeTracked, commitWith, openSourceReader, openTracked, record, type RunContext } from '../context.js';
import { guardRetainedWal } from '../wal-guard.js';
import { mapRole } from '../role-map.js';

/** Contents move in chunks of this size: a 100 MB object never sits whole in this process. */
const CHUNK_BYTES = 1 << 20;
/** A batch holds at most this many objects, however small (one metadata read per batch). */
export const LARGE_OBJECTS_PER_BATCH = 1000;

interface SourceObject {
  oid: string;
  owner: string;
  hasAcl: boolean;
  /** grantee null: PUBLIC */
  grants: { grantee: string | null; priv: string; grantable: boolean }[] | null;
  /** COMMENT ON LARGE OBJECT, or null */
  comment: string | null;
}

const LIST_SQL = `
SELECT m.oid::int8::text AS oid, pg_catalog.pg_get_userbyid(m.lomowner) AS owner, m.lomacl IS NOT NULL AS "hasAcl",
       (SELECT json_agg(json_build_object('grantee', CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
                                          'priv', a.privilege_type, 'grantable', a.is_grantable))
          FROM pg_catalog.aclexplode(m.lomacl) a) AS grants,
       pg_catalog.obj_description(m.oid, 'pg_largeobject') AS comment
  FROM pg_catalog.pg_largeobject_metadata m
 WHERE m.oid >= $1::int8::oid
 ORDER BY m.oid
 LIMIT $2`;

/** As pg_dump: large objects belong to a whole-database clone, not to one restricted by --schema or --table. */
export function largeObjectsIncluded(options: RunOptions): boolean {
  return options.filters.schemas.length === 0 && options.filters.tables.length === 0;
}

/** Where the next batch starts: after the last committed one (batches are committed in oid order, one at a time). */
export function nextLargeObjectOid(state: RunState): number {
  const last = state.largeObjects.batches.at(-1);
  return last ? last.toOid + 1 : 0;
}

/** Copy one object's contents chunk by chunk, then its owner, ACL and comment; returns its size. */
async function copyObject(ctx: RunContext, src: pg.ClientBase, dst: pg.ClientBase, o: SourceObject): Promise<number> {
  await dst.query('SELECT pg_catalog.lo_create($1::int8::oid)', [o.oid]);
  let offset = 0;
  for (;;) {
    const r = await src.query<{ d: Buffer }>('SELECT pg_catalog.lo_get($1::int8::oid, $2::int8, $3::int4) AS d', [o.oid, offset, CHUNK_BYTES]);
    const chunk = r.rows[0]?.d ?? Buffer.alloc(0);
    if (chunk.length > 0) await dst.query('SELECT pg_catalog.lo_put($1::int8::oid, $2::int8, $3::bytea)', [o.oid, offset, chunk]);
    offset += chunk.length;
    if (chunk.length < CHUNK_BYTES) break;
  }
  // owners and grantees under their target names, as the dump's are (--role-map)
  const role = (name: string) => quoteIdent(mapRole(name, ctx.options.roleMap ?? []));
  if (!ctx.options.noOwner) await dst.query(`ALTER LARGE OBJECT ${o.oid} OWNER TO ${role(o.owner)}`);
  if (!ctx.options.noAcl && o.hasAcl) {
    // an explicit ACL replaces the owner's default rights: start from none, then grant exactly what the source lists
    const owner = ctx.options.noOwner ? 'CURRENT_USER' : role(o.owner);
    await dst.query(`REVOKE ALL ON LARGE OBJECT ${o.oid} FROM ${owner}`);
    for (const g of o.grants ?? []) {
      await dst.query(
        `GRANT ${g.priv} ON LARGE OBJECT ${o.oid} TO ${g.grantee === null ? 'PUBLIC' : role(g.grantee)}${g.grantable ? ' WITH GRANT OPTION' : ''}`,
      );
    }
  }
  if (o.comment !== null) await dst.query(`COMMENT ON LARGE OBJECT ${o.oid} IS ${dst.escapeLiteral(o.comment)}`);
  return offset;
}

/** Step 5: every large object of the snapshot from where the log stops, batched by bytes (--batch-size) and by count. */
export async function copyLargeObjects(ctx: RunContext): Promise<void> {
  if (!largeObjectsIncluded(ctx.options)) return;
  const src = await openSourceReader(ctx, 'large objects');
  const dst = await openTracked(ctx, 'target', 'large objects');
  try {
    // objects listed but not reached by a batch (it filled its bytes first) start the next one: listed once
    let listed: SourceObject[] = [];
    for (;;) {
      checkBudget(ctx.budget);
      await guardRetainedWal(ctx);
      if (listed.length === 0) listed = (await src.query<SourceObject>(LIST_SQL, [nextLargeObjectOid(ctx.state), LARGE_OBJECTS_PER_BATCH])).rows;
      const first = listed[0];
      if (!first) break;
      const t0 = Date.now();
      let count = 0;
      await commitWith(ctx, dst, [], async () => {
        let bytes = 0;
        let last = first;
        for (const o of listed) {
          bytes += await copyObject(ctx, src, dst, o);
          count++;
          last = o;
          if (bytes >= ctx.options.batchBytes) break;
        }
        return [
          { type: 'LargeObjectsCopied', runId: ctx.runId, fromOid: Number(first.oid), toOid: Number(last.oid), count, bytes, durationMs: Date.now() - t0 },
        ];
      });
      listed = listed.slice(count);
    }
  } finally {
    await closeTracked(ctx, src);
    await closeTracked(ctx, dst);
  }
}

/** An order-independent checksum of (oid, md5 of contents) over the large objects a query selects. */
const checksumSql = (where: string) => `
SELECT count(*)::int AS n,
       coalesce(sum(('x' || substr(h, 1, 15))::bit(60)::bigint::numeric), 0)::text || ':' ||
       coalesce(sum(('x' || substr(h, 16, 15))::bit(60)::bigint::numeric), 0)::text AS sum
  FROM (SELECT md5(m.oid::text || ':' || md5(pg_catalog.lo_get(m.oid))) AS h FROM pg_catalog.pg_largeobject_metadata m ${where}) x`;

/** Verify: the source's objects in the snapshot against the target's in the ranges the run recorded. */
export async function verifyLargeObjects(ctx: RunContext): Promise<void> {
  if (ctx.state.largeObjects.verified !== null) return;
  if (!largeObjectsIncluded(ctx.options)) {
    const none = '0:0:0';
    await record(ctx, [
      { type: 'LargeObjectsVerified', runId: ctx.runId, sourceCount: 0, targetCount: 0, sourceChecksum: none, targetChecksum: none, match: true },
    ]);
    return;
  }
  const src = await openSourceReader(ctx, 'verify large objects');
  const dst = await openTracked(ctx, 'target', 'verify large objects');
  try {
    const batches = ctx.state.largeObjects.batches;
    const [a, b] = await Promise.all([
      src.query<{ n: number; sum: string }>(checksumSql('')),
      dst.query<{ n: number; sum: string }>(checksumSql(`JOIN unnest($1::int8[], $2::int8[]) AS r(lo, hi) ON m.oid::int8 BETWEEN r.lo AND r.hi`), [
        batches.map((x) => x.fromOid),
        batches.map((x) => x.toOid),
      ]),
    ]);
    const sa = a.rows[0] ?? { n: 0, sum: '0:0' };
    const sb = b.rows[0] ?? { n: 0, sum: '0:0' };
    await record(ctx, [
      {
        type: 'LargeObjectsVerified',
        runId: ctx.runId,
        sourceCount: sa.n,
        targetCount: sb.n,
        sourceChecksum: `${sa.n}:${sa.sum}`,
        targetChecksum: `${sb.n}:${sb.sum}`,
        match: sa.n === sb.n && sa.sum === sb.sum,
      },
    ]);
  } finally {
    await closeTracked(ctx, src);
    await closeTracked(ctx, dst);
  }
}
