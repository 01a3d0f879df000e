import { prettyTransport } from './logger.config';

describe('prettyTransport', () => {
  const missing = (id: string): string => {
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  };

  it('uses pino-pretty for LOG_FORMAT=pretty when it is installed', () => {
    expect(prettyTransport('pretty')).toMatchObject({ transport: { target: 'pino-pretty' } });
  });

  it('logs JSON when pino-pretty is not installed (the production image), saying so', () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(prettyTransport('pretty', missing)).toEqual({});
      expect(stderr).toHaveBeenCalledWith(expect.stringContaining('logging JSON'));
    } finally {
      stderr.mockRestore();
    }
  });

  it('adds no transport for LOG_FORMAT=json', () => {
    expect(prettyTransport('json')).toEqual({});
  });
});
