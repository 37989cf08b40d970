// Package roles is the domain of the Custom::QBusinessRole resource: the
// resource's properties and their validation (Spec), the policy documents of
// AWS's page "IAM role for an Amazon Q Business application" built as Go values,
// and a Manager that carries out CloudFormation's Create, Update and Delete
// against IAM by reading the actual role, comparing it with the desired one
// and acting only on the difference — behind a small IAM interface.
package roles
