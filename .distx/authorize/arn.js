const PARTITION = /^(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc|\*)$/;
const SERVICE = /^[a-z0-9*?-]+$/;
/**
 * The problem with an ARN pattern (`*` alone is allowed), or undefined when it is well formed.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 */
export function arnProblem(text) {
    if (text === "*")
        return undefined;
    if (!text.startsWith("arn:"))
        return `"${text}" is not an ARN (must start with "arn:" or be "*")`;
    const colons = [3];
    for (let i = 0; i < 4; i++) {
        const at = text.indexOf(":", colons[i] + 1);
        if (at < 0)
            return `"${text}" is not an ARN (needs arn:partition:service:region:account:resource)`;
        colons.push(at);
    }
    const partition = text.slice(4, colons[1]);
    const service = text.slice(colons[1] + 1, colons[2]);
    if (!PARTITION.test(partition))
        return `"${text}" has an unknown partition "${partition}"`;
    if (!SERVICE.test(service))
        return `"${text}" has an invalid service "${service}"`;
    if (colons[4] + 1 === text.length)
        return `"${text}" has an empty resource part`;
    return undefined;
}
/**
 * Splits a resolved ARN pattern into its six components; the last keeps any further colons.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
 */
export function splitArnPieces(pieces) {
    const out = [[]];
    for (const piece of pieces) {
        let text = piece.text;
        let colon = text.indexOf(":");
        while (colon >= 0 && out.length < 6) {
            out[out.length - 1].push({ text: text.slice(0, colon), literal: piece.literal });
            out.push([]);
            text = text.slice(colon + 1);
            colon = text.indexOf(":");
        }
        out[out.length - 1].push({ text, literal: piece.literal });
    }
    return out.length === 6 ? out : undefined;
}
/**
 * Splits an ARN from the request context into its six components.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
 */
export function splitArn(text) {
    const parts = text.split(":");
    if (parts.length < 6)
        return undefined;
    return [...parts.slice(0, 5), parts.slice(5).join(":")];
}
//# sourceMappingURL=arn.js.map