/**
 * Dates for the Date* operators: ISO 8601 (date, or date-time with optional seconds, fraction and zone)
 * and epoch seconds, in policies and in the request context.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const EPOCH = /^-?\d{1,12}(?:\.\d{1,9})?$/;
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function isLeap(y) {
    return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
/**
 * Milliseconds since the epoch, or undefined when the text is not a date AWS accepts.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
 */
export function parseDate(text) {
    if (EPOCH.test(text))
        return Math.floor(Number(text) * 1000);
    const m = ISO.exec(text);
    if (m === null)
        return undefined;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (mo < 1 || mo > 12 || d < 1 || d > DAYS[mo - 1] || (mo === 2 && d === 29 && !isLeap(y))) {
        return undefined;
    }
    const h = m[4] === undefined ? 0 : Number(m[4]);
    const mi = m[5] === undefined ? 0 : Number(m[5]);
    const s = m[6] === undefined ? 0 : Number(m[6]);
    if (h > 23 || mi > 59 || s > 59)
        return undefined;
    const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
    let offset = 0;
    const zone = m[8];
    if (zone !== undefined && zone !== "Z") {
        const digits = zone.replace(":", "");
        const oh = Number(digits.slice(1, 3));
        const om = Number(digits.slice(3, 5));
        if (oh > 23 || om > 59)
            return undefined;
        offset = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
    }
    const date = new Date(0);
    date.setUTCFullYear(y, mo - 1, d);
    date.setUTCHours(h, mi, s, ms);
    return date.getTime() - offset;
}
//# sourceMappingURL=dates.js.map