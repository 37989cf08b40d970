// Package reliability holds the tests that prove what the custom resource
// promises: one answer per event, no orphaned or foreign role touched, IAM
// ending where CloudFormation believes it is — under every fault at every IAM
// call, under IAM's authorizer with exactly the execution role's actions, and
// under concurrency. It has no code of its own.
package reliability
