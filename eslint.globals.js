// Node's globals for the plain JavaScript files (bench scripts, configs).
export default {
  node: {
    process: "readonly",
    console: "readonly",
    Buffer: "readonly",
    setTimeout: "readonly",
    clearTimeout: "readonly",
    setInterval: "readonly",
    clearInterval: "readonly",
    setImmediate: "readonly",
    URL: "readonly",
    performance: "readonly",
    fetch: "readonly",
    AbortSignal: "readonly",
    AbortController: "readonly",
  },
};
