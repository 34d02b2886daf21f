// Run by startEmbedded({ guard: true }) as a detached child: when its parent ends — exit, crash or SIGKILL — the
// pipe on its stdin closes, and it reaps the parent's servers at once (the owner-file reaping) instead of at the next start.
import { reapOrphanedServers } from './embedded.js';

const parent = Number(process.argv[2]);
let reaping = false;
const reap = () => {
  if (reaping) return;
  reaping = true;
  reapOrphanedServers({ ownerGone: parent }).then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.stdin.on('data', () => undefined);
process.stdin.on('end', reap);
process.stdin.on('close', reap);
process.stdin.on('error', reap);
