import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverSentEvents } from 'fewshot/client';

/** A byte stream delivering `chunks` one read at a time; `cancelled` tells whether the reader hung up. */
function stream(chunks: (string | Uint8Array)[]) {
  const state = { cancelled: false };
  const encoder = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk !== undefined) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      else controller.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { body, state };
}

test('events split across chunks (a character too), CRLF lines, comments and multi-line data', async () => {
  const tail = new TextEncoder().encode('\nevent: empty\n\nevent: done\ndata: é\n\n');
  const inside = tail.indexOf(0xc3) + 1; // between the two bytes of 'é'
  const { body } = stream([': keep-alive\n\nevent: progr', 'ess\r\ndata: {"a":\r\ndata:  1}\r\n\r\ndata: plain\n', tail.subarray(0, inside), tail.subarray(inside)]);
  const events = [];
  for await (const e of serverSentEvents(body)) events.push(e);
  assert.deepEqual(events, [
    { event: 'progress', data: '{"a":\n 1}' },
    { event: 'message', data: 'plain' },
    { event: 'done', data: 'é' },
  ]);
});

test('a reader that stops early closes the stream', async () => {
  const { body, state } = stream(['data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n']);
  for await (const e of serverSentEvents(body)) if (e.data === '1') break;
  assert.equal(state.cancelled, true);
});
