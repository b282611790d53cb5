/**
 * The store's records: access keys with their attached policies, managed policies with their versions, and the
 * changes that move the state from one revision to the next. Plain JSON values, immutable once written.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_AccessKey.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_Policy.html
 */
export {};
//# sourceMappingURL=model.js.map