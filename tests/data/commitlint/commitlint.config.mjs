// The reference configuration of the parity test: exactly config-conventional.
export default { extends: ["@commitlint/config-conventional"] };
