// --role-map's rewrite of the dump's SQL: only role positions, whole identifiers, never strings, bodies or object names.
import { describe, expect, it } from 'vitest';
import { mapRolesInSql, reservedRoleReason } from '../../src/engine/role-map.js';

const map = [
  { from: 'app', to: 'svc' },
  { from: 'Rd r', to: 'reader' },
];

describe('mapRolesInSql', () => {
  it('renames owners, grantees, grantors, policy roles and default-privilege roles', () => {
    const sql = [
      'ALTER TABLE public.app OWNER TO app;',
      'GRANT SELECT ON TABLE public."x TO app" TO "Rd r";',
      'GRANT ALL ON TABLE public.t TO app WITH GRANT OPTION;',
      'REVOKE ALL ON TABLE public.t FROM app;',
      'SET SESSION AUTHORIZATION app;',
      'CREATE POLICY app ON public.t FOR SELECT TO app, "Rd r" USING ((owner = \'app\'::text));',
      'ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA public GRANT SELECT ON TABLES TO "Rd r";',
      'GRANT SELECT ON TABLE public.t TO PUBLIC;',
    ].join('\n');
    expect(mapRolesInSql(sql, map).split('\n')).toEqual([
      'ALTER TABLE public.app OWNER TO "svc";',
      'GRANT SELECT ON TABLE public."x TO app" TO "reader";',
      'GRANT ALL ON TABLE public.t TO "svc" WITH GRANT OPTION;',
      'REVOKE ALL ON TABLE public.t FROM "svc";',
      'SET SESSION AUTHORIZATION "svc";',
      'CREATE POLICY app ON public.t FOR SELECT TO "svc", "reader" USING ((owner = \'app\'::text));',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "svc" IN SCHEMA public GRANT SELECT ON TABLES TO "reader";',
      'GRANT SELECT ON TABLE public.t TO PUBLIC;',
    ]);
  });

  it('leaves function bodies, strings and comments alone', () => {
    const sql = [
      'CREATE FUNCTION public.f() RETURNS void LANGUAGE sql AS $$',
      'GRANT SELECT ON t TO app;',
      '$$;',
      "COMMENT ON TABLE public.t IS 'x;\nGRANT ALL ON t TO app;';",
      '-- GRANT ALL ON t TO app;',
      'ALTER FUNCTION public.f() OWNER TO app;',
    ].join('\n');
    const out = mapRolesInSql(sql, map).split('\n');
    expect(out.slice(0, -1)).toEqual(sql.split('\n').slice(0, -1));
    expect(out.at(-1)).toBe('ALTER FUNCTION public.f() OWNER TO "svc";');
  });

  it('names reserved and platform roles', () => {
    expect(reservedRoleReason('pg_read_all_data')).toMatch(/pg_/);
    expect(reservedRoleReason('rds_superuser')).toMatch(/RDS/);
    expect(reservedRoleReason('app')).toBeNull();
  });
});
