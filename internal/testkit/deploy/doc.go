// Package deploy holds the tests of the README's deployment paths, as far as
// moto's CloudFormation, S3 and Lambda, the aws CLI and cfn-lint can show
// them: `make package` and `aws cloudformation package`/`deploy`, the
// StackSets-ready template (`make stackset`), what it deploys compared with
// template.yaml, the README's StackSets commands, and its CloudFormation snippet
// (examples/cloudformation/application.yaml) deployed against the provider.
// It has no code of its own, only tests.
package deploy
