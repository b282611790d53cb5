export {};
//# sourceMappingURL=policy-model.js.map