import { filenameFrom } from './files';

describe('filenameFrom', () => {
  it('takes the RFC 6266 filename* (UTF-8, percent-encoded) first', () => {
    expect(filenameFrom(`attachment; filename="Caf_ notes.md"; filename*=UTF-8''Caf%C3%A9%20notes.md`, 'x')).toBe('Café notes.md');
  });

  it('takes the quoted or bare filename', () => {
    expect(filenameFrom('attachment; filename="tides \\"draft\\".json"', 'x')).toBe('tides "draft".json');
    expect(filenameFrom('attachment; filename=tides.csv', 'x')).toBe('tides.csv');
  });

  it('never returns a path and falls back when there is no usable name', () => {
    expect(filenameFrom('attachment; filename="../../etc/passwd"', 'x')).toBe('_.._etc_passwd');
    expect(filenameFrom('attachment', 'session.json')).toBe('session.json');
    expect(filenameFrom(null, 'session.json')).toBe('session.json');
    expect(filenameFrom(`attachment; filename*=UTF-8''%E0%A4%A`, 'fallback.md')).toBe('fallback.md');
  });
});
