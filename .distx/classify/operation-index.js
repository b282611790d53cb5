/**
 * The operations table indexed once at load: (method, target, sub-resources present, selector headers present)
 * → exactly one row. Two rows claiming the same key is a load-time error, so no row can hide another.
 */
import { S3Error } from "../errors.js";
import { OPERATIONS } from "./operations.js";
const METHODS = new Set(["GET", "HEAD", "PUT", "POST", "DELETE"]);
/** Sub-resources whose value is an argument rather than empty. */
const VALUED_SELECTORS = new Set(["uploadId", "partNumber", "id", "annotationName"]);
const DIGITS = /^[0-9]{1,10}$/;
const PART_NUMBER = /^[1-9][0-9]{0,4}$/;
const nonEmpty = (v) => v !== "";
const VALUE_RULES = new Map([
    ["uploadId", nonEmpty],
    ["id", nonEmpty],
    ["annotationName", nonEmpty],
    ["versionId", nonEmpty],
    ["partNumber", (v) => PART_NUMBER.test(v) && Number(v) <= 10000],
    ["max-keys", (v) => DIGITS.test(v)],
    ["max-uploads", (v) => DIGITS.test(v)],
    ["max-parts", (v) => DIGITS.test(v)],
    ["max-buckets", (v) => DIGITS.test(v)],
    ["max-annotation-results", (v) => DIGITS.test(v)],
    ["part-number-marker", (v) => DIGITS.test(v)],
    ["fetch-owner", (v) => v === "true" || v === "false"],
    ["encoding-type", (v) => v === "url"],
]);
function selectorName(entry) {
    const eq = entry.indexOf("=");
    return eq < 0 ? entry : entry.slice(0, eq);
}
/** Every query name that selects an operation somewhere in the table. */
export const SELECTOR_NAMES = new Set(OPERATIONS.flatMap((r) => r.selector.map(selectorName)));
/** Every header that selects an operation. */
export const SELECTOR_HEADERS = [
    ...new Set(OPERATIONS.flatMap((r) => (r.header === undefined ? [] : [r.header]))),
].sort();
function signature(selectors, headers) {
    return selectors.join("&") + "|" + headers.join("&");
}
function indexKey(method, target, sig) {
    return method + " " + target + " " + sig;
}
function subsets(items) {
    let out = [[]];
    for (const item of items)
        out = out.concat(out.map((s) => [...s, item]));
    return out;
}
function buildIndex() {
    const index = new Map();
    const signatures = new Set();
    for (const row of OPERATIONS) {
        const names = row.selector.map(selectorName);
        const required = new Map();
        for (const entry of row.selector) {
            const eq = entry.indexOf("=");
            if (eq >= 0)
                required.set(entry.slice(0, eq), entry.slice(eq + 1));
        }
        const compiled = { row, allowed: new Set([...names, ...row.params]), required };
        const headers = row.header === undefined ? [] : [row.header];
        // A parameter of this row that is a sub-resource elsewhere (GetObject's partNumber) is part of the key.
        for (const extra of subsets(row.params.filter((p) => SELECTOR_NAMES.has(p)))) {
            const sig = signature([...names, ...extra].sort(), headers);
            const key = indexKey(row.method, row.target, sig);
            const clash = index.get(key);
            if (clash !== undefined)
                throw new Error(`operations ${clash.row.operation} and ${row.operation} collide`);
            index.set(key, compiled);
            signatures.add(sig);
        }
    }
    return { index, signatures };
}
const { index: INDEX, signatures: SIGNATURES } = buildIndex();
/** The row a request selects, with its parameters checked; every other combination is an S3 error. */
export function matchOperation(method, target, params, hasHeader) {
    if (!METHODS.has(method))
        throw new S3Error("MethodNotAllowed");
    let selectors;
    for (const p of params)
        if (SELECTOR_NAMES.has(p.name))
            (selectors ??= []).push(p.name);
    if (selectors !== undefined && selectors.length > 1)
        selectors.sort();
    let headers;
    for (const h of SELECTOR_HEADERS)
        if (hasHeader(h))
            (headers ??= []).push(h);
    const sig = signature(selectors ?? [], headers ?? []);
    const compiled = INDEX.get(indexKey(method, target, sig));
    if (compiled === undefined) {
        // A combination S3 knows for another method or for a bucket rather than an object (or the reverse).
        if (SIGNATURES.has(sig))
            throw new S3Error("MethodNotAllowed");
        throw new S3Error("InvalidArgument", `Unsupported combination of sub-resources and headers: ${[...(selectors ?? []), ...(headers ?? [])].join(", ")}.`);
    }
    for (const p of params)
        checkParam(compiled, p);
    return compiled;
}
function checkParam(compiled, p) {
    const { row } = compiled;
    if (!compiled.allowed.has(p.name)) {
        throw new S3Error("InvalidArgument", `The query parameter ${p.name} is not supported by ${row.operation}.`);
    }
    const required = compiled.required.get(p.name);
    let ok;
    if (required !== undefined)
        ok = p.value === required;
    else if (SELECTOR_NAMES.has(p.name) && !VALUED_SELECTORS.has(p.name))
        ok = p.value === "";
    else
        ok = VALUE_RULES.get(p.name)?.(p.value) ?? true;
    if (!ok)
        throw new S3Error("InvalidArgument", `Invalid value for the query parameter ${p.name}.`);
}
//# sourceMappingURL=operation-index.js.map