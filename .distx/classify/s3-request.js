export {};
//# sourceMappingURL=s3-request.js.map