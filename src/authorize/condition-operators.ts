/**
 * The condition operators, one table entry each: how a policy value compiles, how a context value is read,
 * and how the two compare. `IfExists` and `ForAnyValue:` / `ForAllValues:` apply to any of them (conditions.ts).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */
import { parseCidr, parseIp, type Cidr, type IpAddress } from "../ip.js";
import { arnProblem, splitArn, splitArnPieces } from "./arn.js";
import { parseDate } from "./dates.js";
import { Glob, type Piece } from "./glob.js";
import { joinPieces } from "./variables.js";

/** A compiled policy value, or the problem with it. */
export type Compiled<P> = { readonly value: P } | { readonly problem: string };

/** One condition operator; `negated` operators match when no policy value matches. */
export interface OperatorSpec<P = unknown, C = unknown> {
  readonly negated: boolean;
  /** `Null` tests presence of the key, not its values. */
  readonly presence?: boolean;
  /** Compiles one policy value, given as pieces (a substituted variable is a literal piece). */
  compile(pieces: readonly Piece[]): Compiled<P>;
  /** Reads one context value; undefined when it cannot be read (evaluation then fails closed). */
  read(value: string): C | undefined;
  /** True when the context value matches the policy value. */
  test(context: C, policy: P): boolean;
}

function spec<P, C>(s: OperatorSpec<P, C>): OperatorSpec {
  return s as unknown as OperatorSpec;
}

function memo<T>(parse: (text: string) => T | undefined): (text: string) => T | undefined {
  let lastText: string | undefined;
  let last: T | undefined;
  return (text) => {
    if (text !== lastText) {
      last = parse(text);
      lastText = text;
    }
    return last;
  };
}

const identity = (v: string): string => v;

function stringOp(negated: boolean, fold: boolean): OperatorSpec {
  return spec<string, string>({
    negated,
    compile: (pieces) => ({ value: fold ? joinPieces(pieces).toLowerCase() : joinPieces(pieces) }),
    read: fold ? (v) => v.toLowerCase() : identity,
    test: (c, p) => c === p,
  });
}

function likeOp(negated: boolean): OperatorSpec {
  return spec<Glob, string>({
    negated,
    compile: (pieces) => ({ value: new Glob(pieces) }),
    read: identity,
    test: (c, p) => p.match(c),
  });
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseNumber(text: string): number | undefined {
  return NUMERIC.test(text) ? Number(text) : undefined;
}

function numericOp(negated: boolean, test: (c: number, p: number) => boolean): OperatorSpec {
  return spec<number, number>({
    negated,
    compile: (pieces) => {
      const n = parseNumber(joinPieces(pieces));
      return n === undefined ? { problem: `"${joinPieces(pieces)}" is not a number` } : { value: n };
    },
    read: parseNumber,
    test,
  });
}

const readDate = memo(parseDate);

function dateOp(negated: boolean, test: (c: number, p: number) => boolean): OperatorSpec {
  return spec<number, number>({
    negated,
    compile: (pieces) => {
      const ms = parseDate(joinPieces(pieces));
      return ms === undefined
        ? { problem: `"${joinPieces(pieces)}" is not an ISO 8601 date or epoch seconds` }
        : { value: ms };
    },
    read: readDate,
    test,
  });
}

const readIp = memo(parseIp);

function ipOp(negated: boolean): OperatorSpec {
  return spec<Cidr, IpAddress>({
    negated,
    compile: (pieces) => {
      const cidr = parseCidr(joinPieces(pieces));
      return typeof cidr === "string" ? { problem: cidr } : { value: cidr };
    },
    read: readIp,
    test: (c, p) => p.contains(c),
  });
}

function arnOp(negated: boolean): OperatorSpec {
  return spec<Glob[], string[]>({
    negated,
    compile: (pieces) => {
      const problem = arnProblem(joinPieces(pieces));
      if (problem !== undefined) return { problem };
      if (joinPieces(pieces) === "*") return { value: [] };
      const parts = splitArnPieces(pieces);
      return parts === undefined
        ? { problem: `"${joinPieces(pieces)}" is not an ARN` }
        : { value: parts.map((p) => new Glob(p)) };
    },
    read: splitArn,
    test: (c, p) => p.length === 0 || p.every((glob, i) => glob.match(c[i] as string)),
  });
}

const BOOLEAN = new Map([
  ["true", "true"],
  ["false", "false"],
]);

function boolValue(pieces: readonly Piece[]): Compiled<string> {
  const v = BOOLEAN.get(joinPieces(pieces).toLowerCase());
  return v === undefined ? { problem: `"${joinPieces(pieces)}" is not "true" or "false"` } : { value: v };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Operator name (exact case, no qualifier or IfExists) → its specification.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */
export const CONDITION_OPERATORS: ReadonlyMap<string, OperatorSpec> = new Map([
  ["StringEquals", stringOp(false, false)],
  ["StringNotEquals", stringOp(true, false)],
  ["StringEqualsIgnoreCase", stringOp(false, true)],
  ["StringNotEqualsIgnoreCase", stringOp(true, true)],
  ["StringLike", likeOp(false)],
  ["StringNotLike", likeOp(true)],
  ["NumericEquals", numericOp(false, (c, p) => c === p)],
  ["NumericNotEquals", numericOp(true, (c, p) => c === p)],
  ["NumericLessThan", numericOp(false, (c, p) => c < p)],
  ["NumericLessThanEquals", numericOp(false, (c, p) => c <= p)],
  ["NumericGreaterThan", numericOp(false, (c, p) => c > p)],
  ["NumericGreaterThanEquals", numericOp(false, (c, p) => c >= p)],
  ["DateEquals", dateOp(false, (c, p) => c === p)],
  ["DateNotEquals", dateOp(true, (c, p) => c === p)],
  ["DateLessThan", dateOp(false, (c, p) => c < p)],
  ["DateLessThanEquals", dateOp(false, (c, p) => c <= p)],
  ["DateGreaterThan", dateOp(false, (c, p) => c > p)],
  ["DateGreaterThanEquals", dateOp(false, (c, p) => c >= p)],
  [
    "Bool",
    spec<string, string>({
      negated: false,
      compile: boolValue,
      read: (v) => v.toLowerCase(),
      test: (c, p) => c === p,
    }),
  ],
  [
    "BinaryEquals",
    spec<string, string>({
      negated: false,
      compile: (pieces) =>
        BASE64.test(joinPieces(pieces))
          ? { value: joinPieces(pieces) }
          : { problem: `"${joinPieces(pieces)}" is not base64` },
      read: identity,
      test: (c, p) => c === p,
    }),
  ],
  ["IpAddress", ipOp(false)],
  ["NotIpAddress", ipOp(true)],
  ["ArnEquals", arnOp(false)],
  ["ArnLike", arnOp(false)],
  ["ArnNotEquals", arnOp(true)],
  ["ArnNotLike", arnOp(true)],
  [
    "Null",
    spec<string, string>({
      negated: false,
      presence: true,
      compile: boolValue,
      read: identity,
      test: () => false,
    }),
  ],
]);
