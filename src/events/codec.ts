// Parsing rows read from the log: once, with zod, failing closed with the event id in the message.
import { PgcloneEvent, type LoggedEvent } from './schemas.js';

export class MalformedEventError extends Error {
  readonly kind = 'malformed-event';
  constructor(
    readonly eventId: number | string,
    detail: string,
  ) {
    super(`event ${eventId} in the pgclone log is malformed: ${detail}`);
    this.name = 'MalformedEventError';
  }
}

export interface EventRow {
  id: string | number;
  run_id: string;
  type: string;
  version: number;
  payload: unknown;
}

export function parseEventRow(row: EventRow): LoggedEvent {
  const id = Number(row.id);
  const parsed = PgcloneEvent.safeParse(row.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    const type = typeof row.type === 'string' ? row.type : '?';
    throw new MalformedEventError(id, `${type}${where}: ${issue?.message ?? 'does not match any known event'}`);
  }
  const event = parsed.data;
  if (event.type !== row.type || event.runId !== row.run_id || event.v !== row.version) {
    throw new MalformedEventError(id, `its columns (type ${row.type}, run ${row.run_id}, v${row.version}) disagree with its payload`);
  }
  return { ...event, id };
}
