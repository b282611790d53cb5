/**
 * The condition context: the global aws:* keys and the S3 keys a request carries, by lower-cased key name.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys
 */
import { S3Error } from "../errors.js";
import { percentDecode } from "../encoding.js";
import { ALGORITHM_SIGV4 } from "../constants.js";
let clockSecond = Number.NaN;
let clockIso = "";
let clockEpoch = "";
/** aws:CurrentTime (ISO 8601, whole seconds) and aws:EpochTime, formatted once per second. */
function clock(nowMs) {
    const second = Math.floor(nowMs / 1000);
    if (second !== clockSecond) {
        clockIso = new Date(second * 1000).toISOString().slice(0, 19) + "Z";
        clockEpoch = String(second);
        clockSecond = second;
    }
    return [clockIso, clockEpoch];
}
/** Global keys every request carries (S3 and IAM). */
export function baseContext(peer, auth, nowMs, header) {
    const ctx = new Map();
    ctx.set("aws:sourceip", [peer.sourceIp]);
    ctx.set("aws:securetransport", [peer.secure ? "true" : "false"]);
    const [iso, epoch] = clock(nowMs);
    ctx.set("aws:currenttime", [iso]);
    ctx.set("aws:epochtime", [epoch]);
    ctx.set("aws:username", [auth.accessKeyId]);
    ctx.set("aws:userid", [auth.accessKeyId]);
    ctx.set("s3:authtype", [auth.authType]);
    ctx.set("s3:signatureversion", [ALGORITHM_SIGV4]);
    ctx.set("s3:signatureage", [String(Math.max(0, Math.round(auth.signatureAgeMs)))]);
    ctx.set("s3:x-amz-content-sha256", [auth.contentSha256]);
    const userAgent = header("user-agent");
    if (userAgent !== undefined)
        ctx.set("aws:useragent", [userAgent]);
    const referer = header("referer");
    if (referer !== undefined)
        ctx.set("aws:referer", [referer]);
    return ctx;
}
/** Request headers that are S3 condition keys of the same name (`s3:<header>`). */
const HEADER_KEYS = [
    "x-amz-acl",
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
    "x-amz-metadata-directive",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-storage-class",
    "x-amz-website-redirect-location",
];
/** Object-lock headers and their condition keys. */
const LOCK_KEYS = [
    ["x-amz-object-lock-mode", "s3:object-lock-mode"],
    ["x-amz-object-lock-retain-until-date", "s3:object-lock-retain-until-date"],
    ["x-amz-object-lock-legal-hold", "s3:object-lock-legal-hold"],
];
/** Query parameters of the list operations that are condition keys. */
const LIST_KEYS = [
    ["prefix", "s3:prefix"],
    ["delimiter", "s3:delimiter"],
    ["max-keys", "s3:max-keys"],
];
/** Adds the S3 keys read from headers. */
export function addHeaderKeys(ctx, header) {
    for (const name of HEADER_KEYS) {
        const v = header(name);
        if (v !== undefined)
            ctx.set("s3:" + name, [v]);
    }
    for (const [name, key] of LOCK_KEYS) {
        const v = header(name);
        if (v !== undefined)
            ctx.set(key, [v]);
    }
    const tagging = header("x-amz-tagging");
    if (tagging !== undefined)
        addRequestTags(ctx, tagging);
}
/** Adds s3:prefix, s3:delimiter and s3:max-keys when the (list) request carries them, even empty. */
export function addListKeys(ctx, params) {
    for (const p of params) {
        for (const [name, key] of LIST_KEYS)
            if (p.name === name)
                ctx.set(key, [p.value]);
    }
}
/**
 * Adds s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys from x-amz-tagging, which is form-encoded
 * (`k1=v1&k2=v2`, `+` is a space, as S3 reads it). A repeated tag key is an error.
 */
export function addRequestTags(ctx, tagging) {
    const keys = [];
    const seen = new Set();
    if (tagging !== "") {
        for (const pair of tagging.split("&")) {
            const eq = pair.indexOf("=");
            const key = formDecode(eq < 0 ? pair : pair.slice(0, eq));
            const value = eq < 0 ? "" : formDecode(pair.slice(eq + 1));
            if (key === "" || seen.has(key.toLowerCase())) {
                throw new S3Error("InvalidArgument", "The x-amz-tagging header has an empty or repeated tag key.");
            }
            seen.add(key.toLowerCase());
            keys.push(key);
            ctx.set("s3:requestobjecttag/" + key.toLowerCase(), [value]);
        }
    }
    ctx.set("s3:requestobjecttagkeys", keys);
}
function formDecode(text) {
    return percentDecode(text.replaceAll("+", " "));
}
//# sourceMappingURL=context.js.map