// Package plugins mimics pkg/scheduler/framework/plugins/registry.go.
package plugins

import (
	"example.com/framework-plugins/scheduler/framework/plugins/defaultbinder"
	"example.com/framework-plugins/scheduler/framework/plugins/defaultpreemption"
	frameworkruntime "example.com/framework-plugins/scheduler/framework/runtime"
)

// NewInTreeRegistry builds the registry with all the in-tree plugins.
func NewInTreeRegistry() frameworkruntime.Registry {
	return frameworkruntime.Registry{
		"DefaultPreemption": defaultpreemption.New,
		"DefaultBinder":     defaultbinder.New,
	}
}
