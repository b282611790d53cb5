/** Plain values the stages hand each other: authenticate → classify → authorize → forward. */
export {};
//# sourceMappingURL=types.js.map