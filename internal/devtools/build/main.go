// Command build is `make build` (and `sam build`'s makefile method): it builds
// the function's bootstrap for provided.al2023 on arm64 with the recipe of
// the library internal/lambdabuild, into the path it is given:
//
//	go run ./internal/devtools/build OUTPUT
//
// It runs in the module's root; GO names the go command (default go).
package main

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/qbrole/qbrole/internal/lambdabuild"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/devtools/build OUTPUT")
		os.Exit(2)
	}
	goBin := os.Getenv("GO")
	if goBin == "" {
		goBin = "go"
	}
	cmd := exec.Command(goBin, lambdabuild.Args(os.Args[1])...)
	cmd.Env = append(os.Environ(), lambdabuild.TargetEnv...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build: go %v: %v\n", lambdabuild.Args(os.Args[1]), err)
		os.Exit(1)
	}
}
