package framework

import (
	"context"

	v1 "k8s.io/api/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"
)

// Plugin is the parent type of every scheduling plugin.
type Plugin interface {
	Name() string
}

// BindPlugin binds a pod to a node. The framework calls every bind plugin it
// was built with, through this interface.
type BindPlugin interface {
	Plugin
	Bind(ctx context.Context, pod *v1.Pod, nodeName string) error
}

// Handle gives plugins what they need from the scheduler.
type Handle interface {
	ClientSet() clientset.Interface
	EventRecorder() events.EventRecorder
}

// PluginFactory builds a plugin.
type PluginFactory func(h Handle) (Plugin, error)

// Registry maps a plugin name to its factory (k8s: framework/runtime/registry.go).
type Registry map[string]PluginFactory
