// pgpass (pg's own passfile reader, https://github.com/hoegaarden/pgpass) ships no types.
declare module 'pgpass' {
  /** Looks up host, port, database and user in PGPASSFILE or ~/.pgpass; calls back with the password or undefined. */
  export default function pgPass(connInfo: Record<string, unknown>, cb: (password: string | undefined) => void): void;
}
