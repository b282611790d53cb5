/**
 * The one wildcard matcher of the policy engine, shared by Action, Resource, StringLike and ArnLike:
 * `*` matches any run of characters (including `/`), `?` exactly one character, and the whole string must match.
 * Iterative: each `*`-separated segment is placed at its leftmost position once, so `*a*a*a*b` stays linear.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards
 */
var Kind;
(function (Kind) {
    Kind[Kind["Exact"] = 0] = "Exact";
    Kind[Kind["Any"] = 1] = "Any";
    Kind[Kind["Prefix"] = 2] = "Prefix";
    Kind[Kind["General"] = 3] = "General";
})(Kind || (Kind = {}));
function isHigh(code) {
    return code >= 0xd800 && code <= 0xdbff;
}
function isLow(code) {
    return code >= 0xdc00 && code <= 0xdfff;
}
function makeSegment(chars, any) {
    if (any.length === 0)
        return { text: chars, any: null };
    const mask = new Uint8Array(chars.length);
    for (const i of any)
        mask[i] = 1;
    return { text: chars, any: mask };
}
/** Matches `seg` at `pos` forwards; returns the end index or -1. `?` consumes one code point. */
function matchAt(s, pos, seg, limit) {
    const { text, any } = seg;
    if (any === null) {
        if (pos + text.length > limit)
            return -1;
        return s.startsWith(text, pos) ? pos + text.length : -1;
    }
    let i = pos;
    for (let j = 0; j < text.length; j++) {
        if (i >= limit)
            return -1;
        if (any[j] === 1) {
            i += isHigh(s.charCodeAt(i)) && i + 1 < limit && isLow(s.charCodeAt(i + 1)) ? 2 : 1;
        }
        else {
            if (s.charCodeAt(i) !== text.charCodeAt(j))
                return -1;
            i++;
        }
    }
    return i;
}
/** Matches `seg` so that it ends exactly at `end`; returns its start index or -1. */
function matchBefore(s, end, seg, floor) {
    const { text, any } = seg;
    if (any === null) {
        const start = end - text.length;
        if (start < floor)
            return -1;
        return s.startsWith(text, start) ? start : -1;
    }
    let i = end;
    for (let j = text.length - 1; j >= 0; j--) {
        if (i <= floor)
            return -1;
        if (any[j] === 1) {
            i -= isLow(s.charCodeAt(i - 1)) && i - 2 >= floor && isHigh(s.charCodeAt(i - 2)) ? 2 : 1;
        }
        else {
            if (s.charCodeAt(i - 1) !== text.charCodeAt(j))
                return -1;
            i--;
        }
    }
    return i;
}
/** Finds the leftmost placement of `seg` in [from, limit); returns its end index or -1. */
function find(s, from, seg, limit) {
    if (seg.any === null) {
        const at = s.indexOf(seg.text, from);
        if (at < 0 || at + seg.text.length > limit)
            return -1;
        return at + seg.text.length;
    }
    for (let p = from; p < limit; p++) {
        const end = matchAt(s, p, seg, limit);
        if (end >= 0)
            return end;
    }
    return -1;
}
/**
 * A compiled wildcard pattern; `match` tests a whole string.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards
 */
export class Glob {
    source;
    kind;
    segments;
    constructor(pieces) {
        const segments = [];
        let chars = "";
        let any = [];
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
                }
                else {
                    if (ch === "?")
                        any.push(chars.length);
                    chars += ch;
                }
            }
        }
        segments.push(makeSegment(chars, any));
        this.source = source;
        this.segments = segments;
        const first = segments[0];
        if (segments.length === 1)
            this.kind = first.any === null ? Kind.Exact : Kind.General;
        else if (segments.length === 2 && first.any === null && segments[1].text === "") {
            this.kind = first.text === "" ? Kind.Any : Kind.Prefix;
        }
        else
            this.kind = Kind.General;
    }
    /** The literal text every matching string starts with (the pattern up to its first wildcard). */
    get literalPrefix() {
        const first = this.segments[0];
        if (first.any === null)
            return first.text;
        return first.text.slice(0, first.any.indexOf(1));
    }
    /** True when the pattern has no wildcard: it matches exactly one string. */
    get isExact() {
        return this.kind === Kind.Exact;
    }
    /** True when the whole of `s` matches the pattern. */
    match(s) {
        const segs = this.segments;
        switch (this.kind) {
            case Kind.Any:
                return true;
            case Kind.Exact:
                return s === segs[0].text;
            case Kind.Prefix:
                return s.startsWith(segs[0].text);
            default:
                return this.general(s);
        }
    }
    general(s) {
        const segs = this.segments;
        const first = segs[0];
        if (segs.length === 1)
            return matchAt(s, 0, first, s.length) === s.length;
        let pos = matchAt(s, 0, first, s.length);
        if (pos < 0)
            return false;
        const limit = matchBefore(s, s.length, segs[segs.length - 1], pos);
        if (limit < 0)
            return false;
        for (let i = 1; i < segs.length - 1; i++) {
            pos = find(s, pos, segs[i], limit);
            if (pos < 0)
                return false;
        }
        return true;
    }
}
/**
 * Compiles a pattern in which `*` and `?` are wildcards.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards
 */
export function compileGlob(pattern) {
    return new Glob([{ text: pattern, literal: false }]);
}
/** Whole-string wildcard match of `text` against `pattern` (compiles the pattern each call). */
export function globMatch(pattern, text) {
    return compileGlob(pattern).match(text);
}
//# sourceMappingURL=glob.js.map