/**
 * The classifier: addressing, the operations table and classify().
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
 */
export type * from "./s3-request.js";
export {
  addressedBucket,
  classify,
  compileClassifyOptions,
  sigV2ResourcePath,
  withDeleteObjectsBody,
} from "./classify.js";
export {
  deleteObjectsChecks,
  parseDeleteObjects,
  MAX_DELETE_OBJECTS,
  MAX_DELETE_OBJECTS_BODY_BYTES,
  type DeleteObjectsBody,
} from "./delete-objects.js";
export { S3_ACTIONS, isKnownS3Action, TIGRIS_ACTIONS, TIGRIS_OPERATION_NAMES } from "./actions.js";
export { OPERATIONS, type OperationRow, type Target } from "./operations.js";
export { actionsFor } from "./permissions.js";
export { parseCopySource, type CopySource } from "./copy-source.js";
export { isValidBucketName, validateKey } from "./names.js";
export { classifyPostObject, postObjectKey, type PostObject } from "./post-object.js";
