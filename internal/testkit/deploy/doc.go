// Package deploy holds the tests of the README's deployment paths, as far as
// moto's CloudFormation, S3 and Lambda, the aws CLI and cfn-lint can show
// them: `make package` and `aws cloudformation package`/`deploy`, the
// StackSets-ready template (`make stackset`), what it deploys compared with
// template.yaml, the README's StackSets commands (its upgrade included, and
// the export name beside an account's own provider), and its CloudFormation snippet
// (examples/cloudformation/application.yaml) deployed against the provider.
// The README's commands are read from its ```sh blocks (readmeShBlocks), not
// copied. It has no code of its own, only tests.
package deploy
