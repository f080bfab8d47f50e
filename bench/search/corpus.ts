/**
 * Deterministic synthetic chat text: words drawn from a Zipf-like distribution over a generated
 * vocabulary (with a share of accented and Japanese words), so common words occur in nearly every
 * session and rare ones in a few, as in real conversations.
 */
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'qu', 'ri', 'do', 'fe', 'gu', 'ha', 'jo', 'bé', 'çi', 'ün'];
const JAPANESE = ['東京', '天気', '晴れ', '会議', '資料', '予定', '確認', '料理', '旅行', '写真'];
const COMMON = ['the', 'a', 'to', 'and', 'of', 'is', 'in', 'it', 'you', 'that', 'for', 'on', 'with', 'this', 'can', 'be'];

/** Small fast PRNG (mulberry32), seeded, so every run writes the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Corpus {
  readonly vocabulary: string[];
  /** The words the last message() was made of, in order (for working out its terms without segmenting it). */
  lastWords: string[] = [];
  private readonly random: () => number;

  constructor(size = 30_000, seed = 42) {
    this.random = rng(seed);
    const words = new Set<string>(COMMON);
    JAPANESE.forEach((w) => words.add(w));
    while (words.size < size) {
      const n = 2 + Math.floor(this.random() * 3);
      let word = '';
      for (let i = 0; i < n; i++) word += SYLLABLES[Math.floor(this.random() * SYLLABLES.length)];
      words.add(this.random() < 0.05 ? word[0].toUpperCase() + word.slice(1) : word);
    }
    this.vocabulary = [...words];
  }

  /** Index of a word by a Zipf-like law (rank ~ 1/x): low ranks are common. */
  private pick(): string {
    const rank = Math.floor(Math.exp(this.random() * Math.log(this.vocabulary.length))) - 1;
    return this.vocabulary[Math.min(rank, this.vocabulary.length - 1)];
  }

  /** A message of 8-60 words with some punctuation. */
  message(): string {
    const n = 8 + Math.floor(this.random() * 53);
    const words: string[] = [];
    const picked: string[] = [];
    for (let i = 0; i < n; i++) {
      picked.push(this.pick());
      words.push(picked[i] + (this.random() < 0.08 ? '.' : this.random() < 0.05 ? ',' : ''));
    }
    this.lastWords = picked;
    return words.join(' ');
  }

  /** A word of about this rank (0 = most common). */
  wordAt(rank: number): string {
    return this.vocabulary[Math.min(rank, this.vocabulary.length - 1)];
  }
}
