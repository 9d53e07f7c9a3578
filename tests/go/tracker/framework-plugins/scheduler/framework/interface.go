// Package framework mimics pkg/scheduler/framework/interface.go (cut down: no CycleState,
// errors instead of *Status).
package framework

import (
	"context"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	clientset "k8s.io/client-go/kubernetes"
)

// Plugin is the parent type for all the scheduling framework plugins.
type Plugin interface {
	Name() string
}

// PostFilterPlugin is called when a pod cannot be scheduled (preemption).
type PostFilterPlugin interface {
	Plugin
	PostFilter(ctx context.Context, pod *v1.Pod) (string, error)
}

// BindPlugin binds a pod to a node.
type BindPlugin interface {
	Plugin
	Bind(ctx context.Context, pod *v1.Pod, nodeName string) error
}

// Handle provides data and some tools that plugins can use.
type Handle interface {
	ClientSet() clientset.Interface
	SharedInformerFactory() informers.SharedInformerFactory
}

// Framework manages the set of plugins in use by the scheduling framework.
type Framework interface {
	Handle
	RunPostFilterPlugins(ctx context.Context, pod *v1.Pod) (string, error)
	RunBindPlugins(ctx context.Context, pod *v1.Pod, nodeName string) error
}
