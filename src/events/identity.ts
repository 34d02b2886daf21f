// Connection identities for the log: who and where, picked field by field so a password can never ride along.
import { ConnectionIdentity } from './schemas.js';

export interface Endpoint {
  host: string;
  port: number;
  database: string;
  user: string;
}

export function identityOf(endpoint: Endpoint, serverVersion: string, fingerprint: string): ConnectionIdentity {
  return ConnectionIdentity.parse({
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    user: endpoint.user,
    serverVersion,
    fingerprint,
  });
}
