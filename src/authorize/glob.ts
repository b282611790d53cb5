/**
 * The one wildcard matcher of the policy engine, shared by Action, Resource, StringLike and ArnLike:
 * `*` matches any run of characters (including `/`), `?` exactly one character, and the whole string must match.
 * Iterative: each `*`-separated segment is placed at its leftmost position once, so `*a*a*a*b` stays linear.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards
 */

/** A run of pattern text; `literal` text (a substituted policy variable, `${*}`) has no wildcards. */
export interface Piece {
  readonly text: string;
  readonly literal: boolean;
}

interface Segment {
  readonly text: string;
  /** Positions of `?` wildcards in `text`, or null when the segment is plain text. */
  readonly any: Uint8Array | null;
}

const enum Kind {
  Exact,
  Any,
  Prefix,
  General,
}

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function makeSegment(chars: string, any: number[]): Segment {
  if (any.length === 0) return { text: chars, any: null };
  const mask = new Uint8Array(chars.length);
  for (const i of any) mask[i] = 1;
  return { text: chars, any: mask };
}

/** Matches `seg` at `pos` forwards; returns the end index or -1. `?` consumes one code point. */
function matchAt(s: string, pos: number, seg: Segment, limit: number): number {
  const { text, any } = seg;
  if (any === null) {
    if (pos + text.length > limit) return -1;
    return s.startsWith(text, pos) ? pos + text.length : -1;
  }
  let i = pos;
  for (let j = 0; j < text.length; j++) {
    if (i >= limit) return -1;
    if (any[j] === 1) {
      i += isHigh(s.charCodeAt(i)) && i + 1 < limit && isLow(s.charCodeAt(i + 1)) ? 2 : 1;
    } else {
      if (s.charCodeAt(i) !== text.charCodeAt(j)) return -1;
      i++;
    }
  }
  return i;
}

/** Matches `seg` so that it ends exactly at `end`; returns its start index or -1. */
function matchBefore(s: string, end: number, seg: Segment, floor: number): number {
  const { text, any } = seg;
  if (any === null) {
    const start = end - text.length;
    if (start < floor) return -1;
    return s.startsWith(text, start) ? start : -1;
  }
  let i = end;
  for (let j = text.length - 1; j >= 0; j--) {
    if (i <= floor) return -1;
    if (any[j] === 1) {
      i -= isLow(s.charCodeAt(i - 1)) && i - 2 >= floor && isHigh(s.charCodeAt(i - 2)) ? 2 : 1;
    } else {
      if (s.charCodeAt(i - 1) !== text.charCodeAt(j)) return -1;
      i--;
    }
  }
  return i;
}

/** Finds the leftmost placement of `seg` in [from, limit); returns its end index or -1. */
function find(s: string, from: number, seg: Segment, limit: number): number {
  if (seg.any === null) {
    const at = s.indexOf(seg.text, from);
    if (at < 0 || at + seg.text.length > limit) return -1;
    return at + seg.text.length;
  }
  for (let p = from; p < limit; p++) {
    const end = matchAt(s, p, seg, limit);
    if (end >= 0) return end;
  }
  return -1;
}

/**
 * A compiled wildcard pattern; `match` tests a whole string.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards
 */
export class Glob {
  readonly source: string;
  private readonly kind: Kind;
  private readonly segments: readonly Segment[];

  constructor(pieces: readonly Piece[]) {
    const segments: Segment[] = [];
    let chars = "";
    let any: number[] = [];
    let source = "";
    for (const piece of pieces) {
      source += piece.text;
      if (piece.literal) {
        chars += piece.text;
        continue;
      }
      for (const ch of piece.text) {
        if (ch === "*") {
          segments.push(makeSegment(chars, any));
          chars = "";
          any = [];
        } else {
          if (ch === "?") any.push(chars.length);
          chars += ch;
        }
      }
    }
    segments.push(makeSegment(chars, any));
    this.source = source;
    this.segments = segments;
    const first = segments[0] as Segment;
    if (segments.length === 1) this.kind = first.any === null ? Kind.Exact : Kind.General;
    else if (segments.length === 2 && first.any === null && (segments[1] as Segment).text === "") {
      this.kind = first.text === "" ? Kind.Any : Kind.Prefix;
    } else this.kind = Kind.General;
  }

  /** The literal text every matching string starts with (the pattern up to its first wildcard). */
  get literalPrefix(): string {
    const first = this.segments[0] as Segment;
    if (first.any === null) return first.text;
    return first.text.slice(0, first.any.indexOf(1));
  }

  /** True when the pattern has no wildcard: it matches exactly one string. */
  get isExact(): boolean {
    return this.kind === Kind.Exact;
  }

  /** True when the whole of `s` matches the pattern. */
  match(s: string): boolean {
    const segs = this.segments;
    switch (this.kind) {
      case Kind.Any:
        return true;
      case Kind.Exact:
        return s === (segs[0] as Segment).text;
      case Kind.Prefix:
        return s.startsWith((segs[0] as Segment).text);
      default:
        return this.general(s);
    }
  }

  private general(s: string): boolean {
    const segs = this.segments;
    const first = segs[0] as Segment;
    if (segs.length === 1) return matchAt(s, 0, first, s.length) === s.length;
    let pos = matchAt(s, 0, first, s.length);
    if (pos < 0) return false;
    const limit = matchBefore(s, s.length, segs[segs.length - 1] as Segment, pos);
    if (limit < 0) return false;
    for (let i = 1; i < segs.length - 1; i++) {
      pos = find(s, pos, segs[i] as Segment, limit);
      if (pos < 0) return false;
    }
    return true;
  }
}

/**
 * Compiles a pattern in which `*` and `?` are wildcards.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards
 */
export function compileGlob(pattern: string): Glob {
  return new Glob([{ text: pattern, literal: false }]);
}

/** Whole-string wildcard match of `text` against `pattern` (compiles the pattern each call). */
export function globMatch(pattern: string, text: string): boolean {
  return compileGlob(pattern).match(text);
}
