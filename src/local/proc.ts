// Processes on this host, by pid.
import { readFileSync } from 'node:fs';

/**
 * Whether a process with this pid exists (one of another user's counts: EPERM). A zombie does not: it has ended and
 * only waits for its parent to collect it, which for an orphan (a postmaster whose owner was killed) can take a while.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !zombie(pid);
}

/** Linux's /proc says so; elsewhere nothing is taken for one. */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state …": comm may hold spaces and parentheses
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}
