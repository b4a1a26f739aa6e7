/**
 * The inference client's bookkeeping across workers, on real worker threads: a request is answered
 * by the worker it went to, and a worker that ends fails only its own requests (the ones it had not answered).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempWorkspace, type TempWorkspace } from '../storage/testing/fixtures.js';
import { InferenceClient } from './inferenceClient.js';

vi.setConfig({ testTimeout: 60_000 });

let ws: TempWorkspace;
beforeAll(() => {
  ws = tempWorkspace();
});
afterAll(() => ws.dispose());

describe('the inference client', () => {
  it("answers a request sent after a close from the new worker, not with the closed worker's exit", async () => {
    const client = new InferenceClient(ws.dir, { backend: 'cpu' });
    try {
      const first = client.predictFiles(101, []);
      const closing = client.close();
      // The closed worker's exit comes after this request has started a new worker.
      const second = client.predictFiles(102, []);
      const [a, b] = await Promise.allSettled([first, second]);
      // The closed worker leaves between two requests: the one it had is answered, or fails with its exit.
      expect(a.status === 'rejected' && (a.reason as Error).message).toMatch(/^(Run 101 does not exist|The inference worker exited)/);
      expect(b.status === 'rejected' && b.reason).toMatchObject({ code: 'not_found', message: 'Run 102 does not exist' });
      await closing;
      // Each answer is for its own request.
      const answers = await Promise.allSettled([client.predictFiles(103, []), client.predictFiles(104, [])]);
      expect(answers.map((a) => (a.status === 'rejected' ? (a.reason as Error).message : 'resolved'))).toEqual(['Run 103 does not exist', 'Run 104 does not exist']);
    } finally {
      await client.close();
    }
  });
});
