// A commitlint --format module for the parity test: every result, in order, as JSON written to
// the file named by COMMITLINT_JSON_OUT (stdout is cut short when the CLI exits with an error).
import { writeFileSync } from "node:fs";

export default function format(report) {
  const results = (report.results || []).map((result) => ({
    valid: result.valid,
    errors: result.errors.map((p) => ({ name: p.name, level: p.level, message: p.message })),
    warnings: result.warnings.map((p) => ({ name: p.name, level: p.level, message: p.message })),
  }));
  writeFileSync(process.env.COMMITLINT_JSON_OUT, JSON.stringify(results));
  return "";
}
