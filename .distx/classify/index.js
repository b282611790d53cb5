export { classify, compileClassifyOptions, withDeleteObjectsBody } from "./classify.js";
export { deleteObjectsChecks, parseDeleteObjects, MAX_DELETE_OBJECTS, MAX_DELETE_OBJECTS_BODY_BYTES, } from "./delete-objects.js";
export { S3_ACTIONS, isKnownS3Action, TIGRIS_ACTIONS, TIGRIS_OPERATION_NAMES } from "./actions.js";
export { OPERATIONS } from "./operations.js";
export { actionsFor } from "./permissions.js";
export { parseCopySource } from "./copy-source.js";
export { isValidBucketName, validateKey } from "./names.js";
//# sourceMappingURL=index.js.map