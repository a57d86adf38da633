import { describe, expect, it } from 'vitest';
import { type ItemResult, initialQueue, nextToRun, type QueueState, queueReducer, queueSummary } from './queue';

const blob = new Blob([]);
const result = { psnr: 42 } as unknown as ItemResult;

function withFiles(...ids: string[]): QueueState {
  return queueReducer(initialQueue, {
    type: 'add',
    files: ids.map((id) => ({ id, name: `${id}.jpg`, size: 1, source: blob })),
  });
}

const status = (s: QueueState) => s.items.map((i) => `${i.id}:${i.status}`);

describe('queueReducer', () => {
  it('adds files as queued, ignoring ids already present', () => {
    let s = withFiles('a', 'b');
    s = queueReducer(s, { type: 'add', files: [{ id: 'a', name: 'again', size: 2, source: blob }] });
    expect(status(s)).toEqual(['a:queued', 'b:queued']);
    expect(s.items[0].name).toBe('a.jpg');
  });

  it('runs one photo at a time, oldest first', () => {
    let s = withFiles('a', 'b');
    expect(nextToRun(s)?.id).toBe('a');
    s = queueReducer(s, { type: 'start', id: 'a' });
    expect(nextToRun(s)).toBeNull();
    s = queueReducer(s, { type: 'done', id: 'a', result });
    expect(nextToRun(s)?.id).toBe('b');
    expect(s.selected).toBe('a');
  });

  it('keeps progress only while running and ignores late events', () => {
    let s = queueReducer(withFiles('a'), { type: 'start', id: 'a' });
    s = queueReducer(s, { type: 'progress', id: 'a', progress: { stage: 'optimise', step: 3, steps: 10, psnr: 44 } });
    expect(s.items[0].progress).toEqual({ stage: 'optimise', step: 3, steps: 10, psnr: 44 });
    s = queueReducer(s, { type: 'cancel', id: 'a' });
    const after = queueReducer(s, { type: 'progress', id: 'a', progress: { stage: 'measure' } });
    expect(after).toBe(s);
    // The worker's late ABORTED answer, or even a late result, does not resurrect a cancelled row.
    expect(queueReducer(s, { type: 'fail', id: 'a', error: { code: 'ABORTED', message: '' } })).toBe(s);
    expect(queueReducer(s, { type: 'done', id: 'a', result })).toBe(s);
  });

  it('maps a failure to an error row, but ABORTED to cancelled', () => {
    let s = queueReducer(withFiles('a', 'b'), { type: 'start', id: 'a' });
    s = queueReducer(s, { type: 'fail', id: 'a', error: { code: 'IMAGE_CORRUPT', message: 'truncated' } });
    expect(s.items[0]).toMatchObject({ status: 'error', error: { code: 'IMAGE_CORRUPT' } });
    s = queueReducer(s, { type: 'start', id: 'b' });
    s = queueReducer(s, { type: 'fail', id: 'b', error: { code: 'ABORTED', message: '' } });
    expect(s.items[1].status).toBe('cancelled');
  });

  it('cancel-all leaves finished results and cancels the rest', () => {
    let s = withFiles('a', 'b', 'c');
    s = queueReducer(s, { type: 'start', id: 'a' });
    s = queueReducer(s, { type: 'done', id: 'a', result });
    s = queueReducer(s, { type: 'start', id: 'b' });
    s = queueReducer(s, { type: 'cancel-all' });
    expect(status(s)).toEqual(['a:done', 'b:cancelled', 'c:cancelled']);
    expect(s.items[0].result).toBe(result);
    expect(queueSummary(s)).toEqual({ queued: 0, running: 0, done: 1, error: 0, cancelled: 2 });
    expect(queueReducer(s, { type: 'cancel-all' })).toBe(s);
  });

  it('retries error and cancelled rows only; removes any row and clears the selection', () => {
    let s = queueReducer(withFiles('a', 'b'), { type: 'cancel', id: 'a' });
    s = queueReducer(s, { type: 'retry', id: 'a' });
    expect(s.items[0].status).toBe('queued');
    expect(queueReducer(s, { type: 'retry', id: 'b' })).toBe(s);
    s = queueReducer(s, { type: 'select', id: 'b' });
    s = queueReducer(s, { type: 'remove', id: 'b' });
    expect(status(s)).toEqual(['a:queued']);
    expect(s.selected).toBeNull();
  });

  it('records a registration on a finished row', () => {
    let s = queueReducer(withFiles('a'), { type: 'start', id: 'a' });
    s = queueReducer(s, { type: 'done', id: 'a', result });
    s = queueReducer(s, { type: 'registered', id: 'a', registeredId: 7 });
    expect(s.items[0].result?.registeredId).toBe(7);
  });
});
