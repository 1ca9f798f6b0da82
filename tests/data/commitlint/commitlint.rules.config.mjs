// The parity test's configurable-rules configuration: config-conventional with the rules of
// the JSON file named by COMMITLINT_RULES (the same file skillci reads) merged over it.
import { readFileSync } from "node:fs";

const rules = JSON.parse(readFileSync(process.env.COMMITLINT_RULES, "utf8"));
export default { extends: ["@commitlint/config-conventional"], rules };
