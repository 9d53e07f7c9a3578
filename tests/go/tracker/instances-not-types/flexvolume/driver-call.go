// Package flexvolume mimics pkg/volume/flexvolume/driver-call.go (v1.28): every driver call
// builds its own DriverCall (NewDriverCall, 83), fills its arguments (Append, 99) and runs it
// (Run, 125). Two DriverCalls are two objects: what one call appends is never what another runs.
package flexvolume

import (
	"os/exec"
	"strings"
)

// DriverCall is one invocation of a flexvolume driver.
type DriverCall struct {
	Command string
	args    []string
}

// NewDriverCall builds a call of one driver command.
func NewDriverCall(command string) *DriverCall {
	return &DriverCall{Command: command}
}

// Append adds an argument.
func (dc *DriverCall) Append(arg string) {
	dc.args = append(dc.args, arg)
}

// Run runs the driver and returns its output.
func (dc *DriverCall) Run() (string, error) {
	cmd := exec.Command("/usr/libexec/flexvolume/driver", append([]string{dc.Command}, dc.args...)...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}
