// --role-map: owners and grantees renamed in the dump's SQL, by whole identifier tokens in the statements that name roles.
import { quoteIdent } from '../events/names.js';

export interface RoleMapping {
  from: string;
  to: string;
}

/** Names a clone never creates: PostgreSQL's own, and the managed platforms' administrative roles. */
export function reservedRoleReason(name: string): string | null {
  if (name.startsWith('pg_')) return 'PostgreSQL reserves names starting with pg_';
  if (/^(rds_|rdsadmin$|rdsrepladmin$)/.test(name)) return 'an Amazon RDS role';
  if (name.startsWith('supabase_')) return 'a Supabase role';
  if (name.startsWith('cloudsql')) return 'a Cloud SQL role';
  if (name.startsWith('azure_')) return 'an Azure role';
  return null;
}

type Token = { kind: 'word' | 'ident' | 'other'; text: string; at: number };

/**
 * SQL split into tokens that matter for statement boundaries: strings, quoted identifiers, dollar quotes and
 * comments are single tokens, so a `;` or a `GRANT` inside them is never taken for SQL.
 */
function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: Token['kind'], end: number) => {
    out.push({ kind, text: sql.slice(i, end), at: i });
    i = end;
  };
  const until = (close: string, from: number, doubled: boolean, backslash = false) => {
    let j = from;
    while (j < sql.length) {
      if (backslash && sql[j] === '\\') j += 2;
      else if (sql.startsWith(close, j)) {
        if (doubled && sql.startsWith(close + close, j)) j += 2 * close.length;
        else return j + close.length;
      } else j++;
    }
    return sql.length;
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    const rest = sql.slice(i, i + 64);
    if (c === "'") push('other', until("'", i + 1, true));
    else if (c === '"') push('ident', until('"', i + 1, true));
    else if (rest.startsWith('--')) push('other', until('\n', i, false));
    else if (rest.startsWith('/*')) {
      let depth = 0;
      let j = i;
      while (j < sql.length) {
        if (sql.startsWith('/*', j)) {
          depth++;
          j += 2;
        } else if (sql.startsWith('*/', j)) {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else j++;
      }
      push('other', j);
    } else if (c === '$' && /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.test(rest)) {
      const tag = (/^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(rest) as RegExpExecArray)[0];
      const end = sql.indexOf(tag, i + tag.length);
      push('other', end < 0 ? sql.length : end + tag.length);
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const m = /^[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/.exec(sql.slice(i, i + 256)) as RegExpExecArray;
      if ((m[0] === 'E' || m[0] === 'e') && sql[i + 1] === "'") push('other', until("'", i + 2, true, true));
      else push('word', i + m[0].length);
    } else if (/\s/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j] as string)) j++;
      i = j;
    } else push('other', i + 1);
  }
  return out;
}

/** A role-naming token's name: a quoted identifier unescaped, a bare one folded as PostgreSQL folds it. */
function nameOf(t: Token): string | null {
  if (t.kind === 'ident') return t.text.slice(1, -1).replace(/""/g, '"');
  if (t.kind === 'word') return t.text.toLowerCase();
  return null;
}

const kw = (t: Token | undefined, word: string) => t?.kind === 'word' && t.text.toUpperCase() === word;

/** The positions of the role names in one statement (its significant tokens) that name roles. */
function roleSlots(st: Token[]): number[] {
  const slots: number[] = [];
  // a comma-separated list of role names from `from`, ending at a keyword that is not a name
  const list = (from: number, stops: string[]) => {
    for (let j = from; j < st.length; j += 2) {
      if (stops.some((s) => kw(st[j], s))) break;
      if (kw(st[j], 'GROUP')) j++;
      slots.push(j);
      if (st[j + 1]?.text !== ',') break;
    }
  };
  const lastKw = (word: string) => st.findLastIndex((t) => kw(t, word));
  const firstKw = (word: string) => st.findIndex((t) => kw(t, word));
  if (kw(st[0], 'ALTER') && kw(st[1], 'DEFAULT') && kw(st[2], 'PRIVILEGES')) {
    if (kw(st[3], 'FOR') && (kw(st[4], 'ROLE') || kw(st[4], 'USER'))) list(5, ['IN', 'GRANT', 'REVOKE']);
    const verb = st.findIndex((t, i) => i > 3 && (kw(t, 'GRANT') || kw(t, 'REVOKE')));
    if (verb >= 0) {
      const at = kw(st[verb], 'GRANT') ? lastKw('TO') : lastKw('FROM');
      if (at > verb) list(at + 1, ['WITH', 'GRANTED', 'CASCADE', 'RESTRICT']);
    }
  } else if (kw(st[0], 'ALTER') && kw(st.at(-3), 'OWNER') && kw(st.at(-2), 'TO')) {
    slots.push(st.length - 1);
  } else if (kw(st[0], 'GRANT')) {
    const at = lastKw('TO');
    if (at > 0) list(at + 1, ['WITH', 'GRANTED']);
  } else if (kw(st[0], 'REVOKE')) {
    const at = lastKw('FROM');
    if (at > 0) list(at + 1, ['GRANTED', 'CASCADE', 'RESTRICT']);
  } else if (kw(st[0], 'CREATE') && kw(st[1], 'POLICY')) {
    const at = firstKw('TO');
    if (at > 0) list(at + 1, ['USING', 'WITH']);
  } else if (kw(st[0], 'SET') && kw(st[1], 'SESSION') && kw(st[2], 'AUTHORIZATION')) {
    slots.push(3);
  } else if (kw(st[0], 'CREATE') && kw(st[1], 'USER') && kw(st[2], 'MAPPING') && kw(st[3], 'FOR')) {
    slots.push(4);
  }
  return slots;
}

/**
 * The SQL with every role named `from` in an owner, grantee, grantor, policy or default-privileges position
 * written as `to`. Nothing else is touched: object names, strings and bodies that happen to spell a role stay.
 */
export function mapRolesInSql(sql: string, map: RoleMapping[]): string {
  if (map.length === 0) return sql;
  const to = new Map(map.map((m) => [m.from, m.to]));
  const tokens = tokenize(sql);
  const replace = new Map<Token, string>();
  let st: Token[] = [];
  const flush = () => {
    for (const j of roleSlots(st)) {
      const t = st[j];
      const name = t ? nameOf(t) : null;
      const target = name === null ? undefined : to.get(name);
      if (t && target !== undefined && !(t.kind === 'word' && /^(PUBLIC|CURRENT_USER|SESSION_USER|CURRENT_ROLE)$/i.test(t.text)))
        replace.set(t, quoteIdent(target));
    }
    st = [];
  };
  for (const t of tokens) {
    if (t.kind === 'other' && (t.text.startsWith('--') || t.text.startsWith('/*'))) continue;
    if (t.text === ';') flush();
    else st.push(t);
  }
  flush();
  if (replace.size === 0) return sql;
  let out = '';
  let pos = 0;
  for (const t of [...replace.keys()].sort((a, b) => a.at - b.at)) {
    out += sql.slice(pos, t.at) + (replace.get(t) as string);
    pos = t.at + t.text.length;
  }
  return out + sql.slice(pos);
}

/** A role name after the map. */
export function mapRole(name: string, map: RoleMapping[]): string {
  return map.find((m) => m.from === name)?.to ?? name;
}
