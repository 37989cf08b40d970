// Package lambdabuild is the one recipe for building the function's
// bootstrap, as Go values: `make build` (through the command
// internal/devtools/build), the CDK construct's bundling, the benchmark and
// the emulator tests all use it (a test checks that the Makefile agrees).
package lambdabuild

// Package is the function's main package, relative to the module's root.
const Package = "./lambda"

// Flags are go build's flags: the Lambda build (lambda.norpc: no RPC mode,
// credentials from the environment), reproducible and stripped.
var Flags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w -buildid="}

// TargetEnv is the environment for provided.al2023 on arm64.
var TargetEnv = []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"}

// HostEnv builds for this machine (the Runtime Interface Emulator runs it here).
var HostEnv = []string{"CGO_ENABLED=0"}

// Args are go's arguments to build the bootstrap into output.
func Args(output string) []string {
	args := append([]string{"build"}, Flags...)
	return append(args, "-o", output, Package)
}
