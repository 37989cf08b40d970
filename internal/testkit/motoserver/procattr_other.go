//go:build !linux

package motoserver

import "syscall"

// childProcAttr is for every server a test process starts: its own process
// group, so that Close can stop what it started. Outside Linux a server does
// not die with a test process that is killed.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
