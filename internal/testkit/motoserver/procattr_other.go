//go:build !linux

package motoserver

import "syscall"

// ChildProcAttr is for every server a test process starts: its own process
// group, so that Close can stop what it started. Outside Linux a server does
// not die with a test process that is killed.
func ChildProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
