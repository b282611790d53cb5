const ESCAPES = new Map([
    ["*", "*"],
    ["?", "?"],
    ["$", "$"],
]);
const VARIABLE = /^\$\{\s*([^\s,}]+)\s*(?:,\s*'([^']*)'\s*)?\}/;
/**
 * Splits a policy string into text, escapes and variables. With `variables` false (Version 2008-10-17)
 * `${…}` is plain text. `isKnownKey` rejects variables naming no condition key.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 */
export function parseTemplate(text, variables, isKnownKey) {
    if (!variables || !text.includes("${")) {
        return { template: { parts: [{ kind: "text", text }], static: true } };
    }
    const parts = [];
    let isStatic = true;
    let rest = text;
    while (rest.length > 0) {
        const at = rest.indexOf("${");
        if (at < 0) {
            parts.push({ kind: "text", text: rest });
            break;
        }
        if (at > 0)
            parts.push({ kind: "text", text: rest.slice(0, at) });
        const m = VARIABLE.exec(rest.slice(at));
        if (m === null)
            return { problem: `malformed policy variable at "${rest.slice(at, at + 24)}"` };
        const name = m[1];
        const escaped = ESCAPES.get(name);
        if (escaped !== undefined && m[2] === undefined) {
            parts.push({ kind: "escape", text: escaped });
        }
        else if (isKnownKey(name)) {
            isStatic = false;
            const part = m[2] === undefined
                ? { kind: "var", key: name.toLowerCase(), name }
                : { kind: "var", key: name.toLowerCase(), name, fallback: m[2] };
            parts.push(part);
        }
        else {
            return { problem: `unknown policy variable \${${name}}` };
        }
        rest = rest.slice(at + m[0].length);
    }
    return { template: { parts, static: isStatic } };
}
/** The plain string a resolved template stands for. */
export function joinPieces(pieces) {
    let s = "";
    for (const p of pieces)
        s += p.text;
    return s;
}
/** A static template's pieces (no context needed). */
export function staticPieces(template) {
    return template.parts.map((p) => ({ text: p.kind === "var" ? "" : p.text, literal: p.kind === "escape" }));
}
//# sourceMappingURL=variables.js.map