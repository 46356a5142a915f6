// Server-sent events read with fetch, for the client and the dashboard alike (EventSource cannot
// send an Authorization header). Web streams only, so it runs in Node 20 and in browsers.

export interface ServerSentEvent {
  /** The event's name ('message' when the server gave none). */
  event: string;
  data: string;
}

/** The events of a text/event-stream body as they arrive; comments and data-less events are skipped. */
export async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length) yield { event, data: data.join('\n') };
      }
    }
  } finally {
    // A reader that stops early (the job is done) closes the connection.
    await reader.cancel().catch(() => {});
  }
}
