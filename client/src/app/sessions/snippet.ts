/** A piece of a search snippet: plain text, or a matched word. */
export interface SnippetPart {
  text: string;
  mark: boolean;
}

/**
 * The server's snippet (escaped text with matches in `<mark>`) as text parts. It is parsed as an
 * inert document (nothing in it runs or loads) and only text comes out: a `<mark>` becomes a marked
 * part, any other markup is dropped to its text, so the page never renders HTML from a result.
 */
export function snippetParts(html: string): SnippetPart[] {
  const body = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html').body;
  const parts: SnippetPart[] = [];
  for (const node of Array.from(body.childNodes)) {
    const text = node.textContent ?? '';
    if (!text) continue;
    const mark = node.nodeType === Node.ELEMENT_NODE && (node as Element).tagName === 'MARK';
    const last = parts.at(-1);
    if (last && last.mark === mark) last.text += text;
    else parts.push({ text, mark });
  }
  return parts;
}
