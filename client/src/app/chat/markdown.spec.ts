import { highlightCodeBlocks } from './highlight';
import { renderMarkdown, sanitizeHtml } from './markdown';

function dom(html: string): HTMLElement {
  const host = document.createElement('div');
  host.innerHTML = html;
  return host;
}

describe('renderMarkdown', () => {
  it('renders markdown; code blocks are coloured by the highlighter', () => {
    const host = dom(renderMarkdown('# Title\n\n**bold** and `code`\n\n```ts\nconst x: number = 1;\n```'));
    expect(host.querySelector('h1')?.textContent).toBe('Title');
    expect(host.querySelector('strong')?.textContent).toBe('bold');
    const pre = host.querySelector('pre');
    expect(pre?.getAttribute('data-language')).toBe('ts');
    expect(pre?.querySelector('.hljs-keyword')).toBeNull();
    highlightCodeBlocks(host);
    expect(pre?.querySelector('.hljs-keyword')?.textContent).toBe('const');
    expect(pre?.textContent).toContain('const x: number = 1;');
  });

  it('escapes code in languages it does not highlight', () => {
    const host = dom(renderMarkdown('```cobol\n<b>not bold</b>\n```'));
    highlightCodeBlocks(host);
    expect(host.querySelector('pre b')).toBeNull();
    expect(host.querySelector('pre')?.textContent).toContain('<b>not bold</b>');
  });

  it('never lets a script, an event handler or a javascript: link through', () => {
    const payload = [
      '<script>window.pwned = 1</script>',
      '<img src=x onerror="window.pwned = 2">',
      '[click me](javascript:window.pwned=3)',
      '<a href="javascript:window.pwned=4">raw link</a>',
      '<svg onload="window.pwned=5"></svg>',
      '<iframe src="javascript:window.pwned=6"></iframe>',
      '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    ].join('\n\n');
    const html = renderMarkdown(payload);
    const host = dom(html);
    expect(host.querySelector('script, iframe, svg, img[onerror]')).toBeNull();
    for (const element of Array.from(host.querySelectorAll('*'))) {
      for (const attribute of Array.from(element.attributes)) {
        expect(attribute.name.startsWith('on')).toBe(false);
        expect(attribute.value.replace(/\s/g, '').toLowerCase()).not.toMatch(/^(javascript|data):/);
      }
    }
    // The raw HTML is shown as text, so the person sees what the model wrote.
    expect(host.textContent).toContain('<script>window.pwned = 1</script>');
  });

  it('opens links in a new tab without handing over the page', () => {
    const link = dom(renderMarkdown('[docs](https://example.com/docs)')).querySelector('a');
    expect(link?.getAttribute('href')).toBe('https://example.com/docs');
    expect(link?.getAttribute('target')).toBe('_blank');
    expect(link?.getAttribute('rel')).toContain('noopener');
  });

  it('shows a remote image as a link, so the page never requests it', () => {
    const host = dom(renderMarkdown('See ![the chart](https://evil.example/c.png?q=secret) and ![](//evil.example/x.png)'));
    expect(host.querySelector('img')).toBeNull();
    const links = Array.from(host.querySelectorAll('a'));
    expect(links.map((a) => [a.textContent, a.getAttribute('href')])).toEqual([
      ['the chart', 'https://evil.example/c.png?q=secret'],
      ['//evil.example/x.png', '//evil.example/x.png'],
    ]);
    expect(links[0].getAttribute('rel')).toContain('noreferrer');
  });

  it('keeps images from the page\'s own origin and inline data: images', () => {
    const pixel = 'data:image/png;base64,iVBORw0KGgo=';
    const host = dom(renderMarkdown(`![logo](/assets/logo.png) ![same](${location.origin}/a.png) ![dot](${pixel})`));
    const images = Array.from(host.querySelectorAll('img'));
    expect(images.map((img) => [img.getAttribute('alt'), img.getAttribute('src')])).toEqual([
      ['logo', '/assets/logo.png'],
      ['same', `${location.origin}/a.png`],
      ['dot', pixel],
    ]);
    expect(host.querySelector('a')).toBeNull();
  });

  it('strips the address of a remote image from any HTML that reaches the page', () => {
    const host = dom(sanitizeHtml('<img src="https://evil.example/x.png" alt="x"><img srcset="https://evil.example/y.png 2x" src="/ok.png">'));
    const images = Array.from(host.querySelectorAll('img'));
    expect(images.map((img) => img.getAttribute('src'))).toEqual([null, '/ok.png']);
    expect(images[1].getAttribute('srcset')).toBeNull();
  });

  it('sanitizes any HTML that reaches the page: scripts, handlers, javascript: URLs, forms, styles', () => {
    const host = dom(
      sanitizeHtml(
        '<p style="color:red" onclick="x()">hi</p><script>x()</script><img src="a.png" onerror="x()">' +
          '<a href="javascript:x()">a</a><form><input></form><style>*{}</style>',
      ),
    );
    expect(host.querySelector('script, form, input, style')).toBeNull();
    expect(host.querySelector('p')?.getAttribute('style')).toBeNull();
    expect(host.querySelector('p')?.getAttribute('onclick')).toBeNull();
    expect(host.querySelector('img')?.getAttribute('onerror')).toBeNull();
    expect(host.querySelector('a')?.getAttribute('href')).toBeNull();
  });
});
