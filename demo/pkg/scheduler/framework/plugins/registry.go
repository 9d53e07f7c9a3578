// Package plugins lists the in-tree plugins (k8s: framework/plugins/registry.go).
package plugins

import (
	"example.com/kubedemo/pkg/scheduler/framework"
	"example.com/kubedemo/pkg/scheduler/framework/plugins/defaultbinder"
)

// NewInTreeRegistry returns the factories of the in-tree plugins.
func NewInTreeRegistry() framework.Registry {
	return framework.Registry{
		defaultbinder.Name: defaultbinder.New,
	}
}
