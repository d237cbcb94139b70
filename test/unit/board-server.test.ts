import { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, request } from 'node:http';
import { type BoardServer, type BoardServerOptions, startBoardServer } from '../../src/board/board-server';
import type { BoardView } from '../../src/board/board-view';

/**
 * The board's HTTP server over real sockets, with a `read` the test controls (reading
 * Temporal is tested elsewhere): `content` is what the board says, `failure` makes the
 * next reads throw, and `reads` counts them.
 */
class FakeBoard {
  reads = 0;
  content = 'first';
  failure?: string;
  /** While set, each read waits for it. */
  gate?: Promise<void>;

  readonly read = async (): Promise<BoardView> => {
    this.reads++;
    if (this.gate) await this.gate;
    if (this.failure) throw new Error(this.failure);
    return view(this.content);
  };
}

/** A new instant at every read: only `content` changes what the board says. */
const view = (content: string): BoardView => ({
  generatedAt: new Date(Date.now() + Math.random()).toISOString(),
  taskQueue: 'gantry',
  environments: ['staging'],
  services: [{ name: content, cells: [] }],
  inFlight: [],
  freezes: [],
  quarantined: [],
  problems: [],
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** node:http rather than fetch, which will not let a request name its own Host. */
function ask(url: string, path: string, options: { method?: string; host?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: options.method ?? 'GET', ...(options.host ? { headers: { Host: options.host } } : {}), agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface ServerEvent {
  event: string;
  data: string;
}

/** An open `/events` stream and the server-sent events it received so far. */
class EventStream {
  readonly events: ServerEvent[] = [];
  ended = false;
  private buffer = '';

  private constructor(
    private readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.take(chunk));
    res.on('end', () => (this.ended = true));
    res.on('close', () => (this.ended = true));
  }

  static open(url: string): Promise<EventStream> {
    return new Promise((resolve, reject) => {
      const req = request(new URL('/events', url), { agent: false }, (res) => resolve(new EventStream(req, res)));
      req.on('error', reject);
      req.end();
    });
  }

  get documents(): BoardView[] {
    return this.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as BoardView);
  }

  get problems(): string[] {
    return this.events.filter((e) => e.event === 'problem').map((e) => e.data);
  }

  close(): void {
    this.req.destroy();
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice('event: '.length);
        else if (line.startsWith('data: ')) data.push(line.slice('data: '.length));
      }
      // Comments (keepalives) and `retry:` carry no data and are no event.
      if (data.length) this.events.push({ event, data: data.join('\n') });
    }
  }
}

const servers: BoardServer[] = [];
const streams: EventStream[] = [];
async function start(board: FakeBoard, options: Partial<BoardServerOptions> = {}): Promise<BoardServer> {
  const server = await startBoardServer({ host: '127.0.0.1', port: 0, read: board.read, intervalMs: 50, ...options });
  servers.push(server);
  return server;
}
async function watch(server: BoardServer): Promise<EventStream> {
  const stream = await EventStream.open(server.url);
  streams.push(stream);
  return stream;
}
afterEach(async () => {
  streams.splice(0).forEach((s) => s.close());
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('what the board serves', () => {
  test('/ is the page, with a policy that lets it load nothing but itself', async () => {
    const server = await start(new FakeBoard());
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const answer = await fetch(server.url);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.headers.get('content-security-policy')).toMatch(/^default-src 'none'(;|$)/);
    expect(await answer.text()).toContain('Release board');
  });

  test('/board.json is the document as read now', async () => {
    const board = new FakeBoard();
    const server = await start(board);
    const answer = await fetch(new URL('/board.json', server.url));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await answer.json()) as BoardView).services).toEqual([{ name: 'first', cells: [] }]);
    expect(board.reads).toBe(1);
  });

  test('/board.json asked twice within an interval is read once', async () => {
    const board = new FakeBoard();
    const server = await start(board, { intervalMs: 10_000 });
    await ask(server.url, '/board.json');
    board.content = 'second';
    const again = await ask(server.url, '/board.json');
    expect((JSON.parse(again.body) as BoardView).services[0].name).toBe('first');
    expect(board.reads).toBe(1);
  });

  test('/board.json is 503 when the board could not be read yet', async () => {
    const board = new FakeBoard();
    board.failure = 'Temporal is away';
    const errors: string[] = [];
    const server = await start(board, { onReadError: (err) => errors.push(err.message) });
    expect(await ask(server.url, '/board.json')).toMatchObject({ status: 503 });
    expect(errors).toEqual(['Temporal is away']);
  });

  test('it is read-only: POST is 405 and says what is allowed', async () => {
    const server = await start(new FakeBoard());
    const answer = await ask(server.url, '/', { method: 'POST' });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD');
  });

  test('an unknown path is 404', async () => {
    const server = await start(new FakeBoard());
    expect(await ask(server.url, '/admin')).toMatchObject({ status: 404 });
  });

  test('HEAD / answers the headers without the page', async () => {
    const server = await start(new FakeBoard());
    const answer = await ask(server.url, '/', { method: 'HEAD' });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('');
  });
});

describe('on loopback, only requests addressed to loopback are answered (DNS rebinding)', () => {
  test.each(['localhost', '127.0.0.1:8090', '[::1]:8090'])('Host %s is answered', async (host) => {
    const server = await start(new FakeBoard());
    expect(await ask(server.url, '/', { host })).toMatchObject({ status: 200 });
  });

  test('Host evil.example is refused', async () => {
    const server = await start(new FakeBoard());
    const answer = await ask(server.url, '/board.json', { host: 'evil.example' });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('loopback');
  });

  test('a board bound to every interface answers any Host', async () => {
    const server = await start(new FakeBoard(), { host: '0.0.0.0' });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await ask(server.url, '/', { host: 'board.example:8090' })).toMatchObject({ status: 200 });
  });
});

describe('the event stream', () => {
  test('nothing is read while nobody watches', async () => {
    const board = new FakeBoard();
    const server = await start(board);
    await ask(server.url, '/board.json');
    await sleep(300);
    expect(board.reads).toBe(1);
  });

  test('a watcher gets the document at once, and again only when what it says changes', async () => {
    const board = new FakeBoard();
    const server = await start(board);
    const stream = await watch(server);
    expect(stream.res.headers['content-type']).toBe('text/event-stream');
    await waitUntil('the first document', () => stream.documents.length === 1);
    expect(stream.documents[0].services[0].name).toBe('first');

    // Every read has a new generatedAt; the same content is not pushed again.
    const readsBefore = board.reads;
    await sleep(300);
    expect(board.reads).toBeGreaterThan(readsBefore + 2);
    expect(stream.documents).toHaveLength(1);

    board.content = 'second';
    await waitUntil('the changed document', () => stream.documents.length === 2);
    expect(stream.documents[1].services[0].name).toBe('second');
  });

  test('a watcher arriving after a read gets that document at once, before the next read', async () => {
    const board = new FakeBoard();
    const server = await start(board, { intervalMs: 10_000 });
    await ask(server.url, '/board.json');
    let openGate!: () => void;
    board.gate = new Promise((resolve) => (openGate = resolve));
    board.content = 'second';
    const stream = await watch(server);
    await waitUntil('the document already read', () => stream.documents.length === 1);
    expect(stream.documents[0].services[0].name).toBe('first');
    expect(board.reads).toBe(2);
    openGate();
  });

  test('a read that fails is told to the watchers as a problem, on one line', async () => {
    const board = new FakeBoard();
    const errors: string[] = [];
    const server = await start(board, { onReadError: (err) => errors.push(err.message) });
    const stream = await watch(server);
    await waitUntil('the first document', () => stream.documents.length === 1);
    board.failure = 'the change calendar\n  did not answer';
    await waitUntil('a problem', () => stream.problems.length > 0);
    expect(stream.problems[0]).toBe('the change calendar did not answer');
    expect(errors[0]).toBe('the change calendar\n  did not answer');
  });

  test('many watchers share one read per interval, and reading stops when the last leaves', async () => {
    const board = new FakeBoard();
    const server = await start(board, { intervalMs: 100 });
    const watchers = await Promise.all([watch(server), watch(server), watch(server)]);
    await waitUntil('every watcher has the document', () => watchers.every((w) => w.documents.length === 1));
    const readsBefore = board.reads;
    await sleep(500);
    // About five reads in 500 ms at one per 100 ms; three watchers polling each would make fifteen.
    expect(board.reads - readsBefore).toBeLessThanOrEqual(7);

    watchers.forEach((w) => w.close());
    await sleep(150);
    const readsAfterLeaving = board.reads;
    await sleep(300);
    expect(board.reads).toBe(readsAfterLeaving);
  });

  // A read started by /board.json is not a poll: the watcher must still start the chain.
  test('a watcher arriving during a /board.json read still hears of later changes', async () => {
    const board = new FakeBoard();
    const server = await start(board);
    let openGate!: () => void;
    board.gate = new Promise((resolve) => (openGate = resolve));
    const json = ask(server.url, '/board.json');
    await waitUntil('the read to start', () => board.reads === 1);
    const stream = await watch(server);
    board.gate = undefined;
    openGate();
    await json;
    await waitUntil('the first document', () => stream.documents.length === 1);

    board.content = 'second';
    await waitUntil('the changed document', () => stream.documents.length === 2);
  });

  test('close() ends the open streams and resolves', async () => {
    const board = new FakeBoard();
    const server = await startBoardServer({ host: '127.0.0.1', port: 0, read: board.read, intervalMs: 50 });
    const stream = await watch(server);
    await waitUntil('the first document', () => stream.documents.length === 1);
    await server.close();
    await waitUntil('the stream to end', () => stream.ended);
    const readsAfterClose = board.reads;
    await sleep(150);
    expect(board.reads).toBe(readsAfterClose);
  });
});
