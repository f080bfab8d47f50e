import { foldWord, matchesQuery, mayMatch, parseQuery, queryWordsFound, segmenterWords, snippetOf, termsOf, wordSegments, wordsOf } from './text-analysis';

describe('search text analysis', () => {
  it('folds case, accents and compatibility forms; keeps Japanese voiced kana', () => {
    expect(foldWord('Café')).toBe('cafe');
    expect(foldWord('CAFÉ')).toBe('cafe');
    expect(foldWord('Straße')).toBe('strasse');
    expect(foldWord('Über')).toBe('uber');
    expect(foldWord('élève')).toBe('eleve');
    expect(foldWord('Ｆｕｌｌ')).toBe('full');
    expect(foldWord('ﬁle')).toBe('file');
    expect(foldWord('İstanbul')).toBe('istanbul');
    expect(foldWord('がっこう')).toBe('がっこう');
  });

  it('segments words in any script, with their positions in the original text', () => {
    expect(termsOf('東京の天気は晴れです')).toEqual(expect.arrayContaining(['東京', '天気', '晴れ']));
    expect(termsOf('Hello, hello — wörld! 42')).toEqual(['hello', 'world', '42']);
    const text = 'Un café à Paris';
    const [, cafe] = wordsOf(text);
    expect(text.slice(cafe.start, cafe.end)).toBe('café');
    expect(cafe.term).toBe('cafe');
  });

  it('drops overlong terms and punctuation', () => {
    expect(termsOf(`${'x'.repeat(100)} ok ... !!!`)).toEqual(['ok']);
  });

  it('parses the last word as a prefix unless the query ends after it', () => {
    expect(parseQuery('Paris caf', 8)).toEqual({ words: ['paris'], prefix: 'caf' });
    expect(parseQuery('Paris café ', 8)).toEqual({ words: ['paris', 'cafe'], prefix: null });
    expect(parseQuery('tea tea', 8)).toEqual({ words: [], prefix: 'tea' });
    expect(parseQuery('a b c d e', 3)).toEqual({ words: ['a', 'b'], prefix: 'e' });
    expect(parseQuery('?!', 8)).toEqual({ words: [], prefix: null });
  });

  it('tells cheaply which texts cannot match', () => {
    expect(mayMatch('Un CAFÉ noir', parseQuery('cafe ', 8))).toBe(true);
    expect(mayMatch('Un thé noir', parseQuery('cafe ', 8))).toBe(false);
    expect(mayMatch('Die Straße', parseQuery('stras', 8))).toBe(true);
  });

  it('counts query words found, the prefix as one', () => {
    const query = parseQuery('paris tea', 8);
    expect(matchesQuery('teapot', query)).toBe(true);
    expect(matchesQuery('paris', query)).toBe(true);
    expect(matchesQuery('pari', query)).toBe(false);
    expect(queryWordsFound(wordsOf('Teapots and teacups in Paris'), query)).toBe(2);
    expect(queryWordsFound(wordsOf('nothing here'), query)).toBe(0);
  });

  it('marks matches in an HTML-escaped snippet cut around the first match', () => {
    const query = parseQuery('cafe ', 8);
    expect(snippetOf('A <b>Café</b> & "tea"', query)).toBe('A &lt;b&gt;<mark>Café</mark>&lt;/b&gt; &amp; &quot;tea&quot;');
    const long = `${'word '.repeat(100)}the café is here ${'tail '.repeat(100)}`;
    const snippet = snippetOf(long, query);
    expect(snippet.startsWith('…')).toBe(true);
    expect(snippet.endsWith('…')).toBe(true);
    expect(snippet).toContain('the <mark>café</mark> is here');
    expect(snippet.length).toBeLessThan(200);
    expect(snippetOf('no match\n\nat   all', query)).toBe('no match at all');
  });

  it('finds the same words as Intl.Segmenter, on the fast path for spaced scripts and around runs of other scripts', () => {
    const texts = [
      "don't stop, e.g. this", '3.14 and 1,000 and 1;2 and a,b a;b a:b 1:2 a.1 1.a 1.2.3 a...b', 'snake_case _x x_ __ a__b a_1_b',
      'Crème brûlée, élève! Straße Brücke l\'été', 'Ὀδυσσεύς и Москва', "it's 5 o'clock 22:30 3'000 a·b", 'ﬁne ½ ² x² ǅemal n°5 …',
      'URL https://example.com/a_b?c=d a.b@c.de', "x'y' 'quoted' ‘single’ “double” a' 'a 1'", 'C++ and C# --flag=value I.B.M.',
      '東京の天気は晴れです。', 'abc東京 def', 'Tokyo（東京）は大きい', '123東京', 'カタカナ_abc', 'e\u0301cole 東京', 'a東b',
      '会議: 10:30 資料', 'emoji 😀 ok', '한국어 텍스트', 'ราคา 100 บาท', 'עברית שלום', 'مرحبا بالعالم', 'tab\there  many   spaces.And,punct;here:ok',
    ];
    for (const text of texts) expect([text, wordSegments(text)]).toEqual([text, segmenterWords(text)]);
  });
});
