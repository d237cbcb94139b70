import { isLoopback, parseBoardAddress } from '../../src/board/board-address';

describe('where the board listens', () => {
  test.each([
    ['8090', { host: '127.0.0.1', port: 8090 }],
    [':9000', { host: '127.0.0.1', port: 9000 }],
    ['0.0.0.0:8090', { host: '0.0.0.0', port: 8090 }],
    ['[::1]:8091', { host: '::1', port: 8091 }],
    ['[::1]', { host: '::1', port: 8090 }],
    ['localhost', { host: 'localhost', port: 8090 }],
    ['board.internal:80', { host: 'board.internal', port: 80 }],
    ['0', { host: '127.0.0.1', port: 0 }],
    [' 8091 ', { host: '127.0.0.1', port: 8091 }],
  ])('%j is %j', (text, address) => {
    expect(parseBoardAddress(text, '--listen')).toEqual(address);
  });

  test.each([
    ['', /^GANTRY_BOARD: "" is not an address; /],
    ['a:b:c', /^GANTRY_BOARD: "a:b:c" is not an address; /],
    ['host:port', /^GANTRY_BOARD: "host:port" is not an address; /],
    ['1.2.3.4:-1', /^GANTRY_BOARD: "1.2.3.4:-1" is not an address; /],
    ['::1', /^GANTRY_BOARD: "::1" is not an address; /],
    ['127.0.0.1:70000', /^GANTRY_BOARD: "127.0.0.1:70000" has port 70000, outside 0–65535; /],
    ['99999', /^GANTRY_BOARD: "99999" has port 99999, outside 0–65535; /],
  ])('%j is refused, naming the setting and how to write an address', (text, message) => {
    expect(() => parseBoardAddress(text, 'GANTRY_BOARD')).toThrow(message);
    expect(() => parseBoardAddress(text, 'GANTRY_BOARD')).toThrow('write a port (8090), HOST:PORT (127.0.0.1:8090) or [::1]:8090');
  });
});

describe('loopback addresses', () => {
  test.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1'])('%s reaches only this machine', (host) => {
    expect(isLoopback(host)).toBe(true);
  });

  test.each(['0.0.0.0', '10.0.0.1', '::', 'board.example', '127.0.0.1.example'])('%s is reachable from elsewhere', (host) => {
    expect(isLoopback(host)).toBe(false);
  });
});
