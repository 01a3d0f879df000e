import { chromiumDecision } from './helpers/chromium';

describe('whether the browser test runs', () => {
  const present = () => true;
  const absent = () => false;

  it('runs when Chromium is there, CI or not', () => {
    expect(chromiumDecision('/usr/bin/chromium', {}, present)).toEqual({ kind: 'run' });
    expect(chromiumDecision('/usr/bin/chromium', { CI: 'true' }, present)).toEqual({ kind: 'run' });
  });

  it('skips with one line saying how to enable it when Chromium is missing outside CI', () => {
    const decision = chromiumDecision('/opt/none/chromium', {}, absent);
    expect(decision).toEqual({ kind: 'skip', line: expect.stringContaining('apt-get install chromium') });
    const line = (decision as { line: string }).line;
    expect(line).toContain('/opt/none/chromium');
    expect(line.trimEnd()).not.toContain('\n');
  });

  it('fails under CI when Chromium is missing', () => {
    expect(chromiumDecision('/opt/none/chromium', { CI: 'true' }, absent)).toEqual({ kind: 'fail', reason: expect.stringContaining('CI=true') });
  });

  it('checks the real file system', () => {
    expect(chromiumDecision('/nonexistent/chromium', {})).toMatchObject({ kind: 'skip' });
    expect(chromiumDecision(process.execPath, {})).toEqual({ kind: 'run' });
  });
});
