import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { sanitizeHtml } from './markdown';

// A handful of common languages keeps the chunk small; others stay plain, escaped code.
for (const [name, language] of Object.entries({ bash, css, javascript, json, python, sql, typescript, xml, yaml })) {
  hljs.registerLanguage(name, language);
}
hljs.registerAliases(['sh', 'shell', 'zsh', 'console'], { languageName: 'bash' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });
hljs.registerAliases(['js', 'jsx', 'mjs'], { languageName: 'javascript' });
hljs.registerAliases(['ts', 'tsx'], { languageName: 'typescript' });
hljs.registerAliases(['py'], { languageName: 'python' });
hljs.registerAliases(['yml'], { languageName: 'yaml' });

const cache = new Map<string, string>();
const CACHE_LIMIT = 300;

function highlighted(code: string, language: string): string {
  const key = `${language}\n${code}`;
  let html = cache.get(key);
  if (html === undefined) {
    // hljs escapes the code itself; the sanitizer is the same second layer as for all model output.
    html = sanitizeHtml(hljs.highlight(code, { language, ignoreIllegals: true }).value);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, html);
  }
  return html;
}

/** Colours the code blocks under `root` whose language is known; the rest stay as they are. */
export function highlightCodeBlocks(root: ParentNode): void {
  for (const code of Array.from(root.querySelectorAll<HTMLElement>('pre[data-language] > code:not(.highlighted)'))) {
    const language = code.parentElement?.getAttribute('data-language') ?? '';
    code.classList.add('highlighted');
    if (!hljs.getLanguage(language)) continue;
    code.innerHTML = highlighted(code.textContent ?? '', language);
  }
}
