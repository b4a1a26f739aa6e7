/**
 * A stand-in ML worker for workerHost.test.ts that never leaves by itself: it ignores the `shutdown`
 * message and, once asked to stop, spins without running a kernel (as a worker does while it loads its
 * modules or decodes an image). With `claimDawnFirst` it first claims Dawn as the studio's worker does
 * before loading it. It reports whether it may load Dawn after the host asked it to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { claimDawn, STOP_FLAG_INDEX } from '../workerHost.js';

const flags = new Int32Array((workerData as { stopFlag: SharedArrayBuffer }).stopFlag);
const claimDawnFirst = (workerData as { claimDawnFirst?: boolean }).claimDawnFirst === true;
if (claimDawnFirst) claimDawn(flags);
parentPort!.postMessage({ type: 'ready' });
parentPort!.on('message', () => {
  // Asked to stop: report whether Dawn may still be loaded, then spin, never yielding to the event loop.
  while (Atomics.load(flags, STOP_FLAG_INDEX) === 0);
  parentPort!.postMessage({ type: 'claim', granted: claimDawn(flags) });
  for (;;);
});
