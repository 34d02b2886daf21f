// The order items apply in: what pg_depend records between their catalog references, plus each item's own deps;
// among items free to go, pg_dump's type priority then the name (never an oid: the order is the same on every reading).
import type pg from 'pg';
import type { SchemaItem, Unsupported } from './model.js';

export interface DependRow {
  obj: string;
  ref: string;
}

/** Every dependency between user objects that orders them (not pins, not extension membership). */
export async function readDepends(db: pg.ClientBase): Promise<DependRow[]> {
  const r = await db.query<DependRow>(
    `SELECT replace(d.classid::pg_catalog.regclass::text, 'pg_catalog.', '') || ':' || d.objid AS obj,
            replace(d.refclassid::pg_catalog.regclass::text, 'pg_catalog.', '') || ':' || d.refobjid AS ref
       FROM pg_catalog.pg_depend d
      WHERE d.deptype IN ('n', 'a', 'i') AND d.objid >= 16384 AND d.refobjid >= 16384`,
  );
  return r.rows;
}

/**
 * Items in an order that applies: each after everything it depends on (within its section). Items caught in a
 * dependency cycle are returned apart, to be refused by name.
 */
export function orderItems(items: SchemaItem[], depends: DependRow[]): { ordered: SchemaItem[]; cycles: Unsupported[] } {
  const owner = new Map<string, number>();
  items.forEach((it, i) => {
    if (!owner.has(it.key)) owner.set(it.key, i);
    for (const p of it.provides) if (!owner.has(p)) owner.set(p, i);
  });
  const needs: Set<number>[] = items.map(() => new Set<number>());
  const add = (from: number, toRef: string) => {
    const to = owner.get(toRef);
    if (to === undefined || to === from) return;
    needs[from]?.add(to);
  };
  items.forEach((it, i) => it.deps.forEach((d) => add(i, d)));
  // a pg_depend row of a reference an item holds orders that item
  const holders = new Map<string, number[]>();
  items.forEach((it, i) => {
    for (const k of [it.key, ...it.provides]) {
      const list = holders.get(k) ?? [];
      list.push(i);
      holders.set(k, list);
    }
  });
  for (const d of depends) for (const i of holders.get(d.obj) ?? []) add(i, d.ref);
  // a pre-data item that needs a post-data one goes to post-data after it (pg_dump's postponed view: a GROUP BY
  // that relies on a primary key), and so does what needs it in turn
  const section = items.map((it) => it.section);
  for (let moved = true; moved;) {
    moved = false;
    items.forEach((_, i) => {
      if (section[i] === 'pre-data' && [...(needs[i] ?? [])].some((j) => section[j] === 'post-data')) {
        section[i] = 'post-data';
        moved = true;
      }
    });
  }
  const cmp = (a: number, b: number) => {
    const x = items[a] as SchemaItem;
    const y = items[b] as SchemaItem;
    return x.priority - y.priority || (x.schema ?? '').localeCompare(y.schema ?? '') || x.name.localeCompare(y.name) || x.key.localeCompare(y.key);
  };
  const ordered: SchemaItem[] = [];
  const done = new Set<number>();
  for (const part of ['pre-data', 'post-data'] as const) {
    const members = items.map((_, i) => i).filter((i) => section[i] === part);
    const inPart = new Set(members);
    const pending = new Map<number, number>();
    const users = new Map<number, number[]>();
    for (const i of members) {
      const mine = [...(needs[i] ?? [])].filter((j) => inPart.has(j));
      pending.set(i, mine.length);
      for (const j of mine) users.set(j, [...(users.get(j) ?? []), i]);
    }
    const heap = new Heap<number>(cmp);
    for (const i of members) if (pending.get(i) === 0) heap.push(i);
    for (let i = heap.pop(); i !== undefined; i = heap.pop()) {
      done.add(i);
      const it = items[i] as SchemaItem;
      ordered.push(it.section === part ? it : { ...it, section: part });
      for (const u of users.get(i) ?? []) {
        const left = (pending.get(u) ?? 0) - 1;
        pending.set(u, left);
        if (left === 0) heap.push(u);
      }
    }
  }
  const cycles: Unsupported[] = items
    .filter((_, i) => !done.has(i))
    .map((it) => ({
      kind: it.desc.toLowerCase(),
      identity: it.schema ? `${it.schema}.${it.name}` : it.name,
      why: 'it is part of a dependency cycle the built-in engine cannot break',
    }));
  return { ordered, cycles };
}

/** A binary min-heap. */
class Heap<T> {
  private a: T[] = [];
  constructor(private readonly cmp: (x: T, y: T) => number) {}
  push(v: T): void {
    const a = this.a;
    a.push(v);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (this.cmp(a[i] as T, a[p] as T) >= 0) break;
      [a[i], a[p]] = [a[p] as T, a[i] as T];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop() as T;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.cmp(a[l] as T, a[m] as T) < 0) m = l;
        if (r < a.length && this.cmp(a[r] as T, a[m] as T) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as T, a[i] as T];
        i = m;
      }
    }
    return top;
  }
}
