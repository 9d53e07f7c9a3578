// Package defaultbinder binds pods with a Binding sub-resource POST, like
// k8s.io/kubernetes/pkg/scheduler/framework/plugins/defaultbinder.
package defaultbinder

import (
	"context"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"example.com/kubedemo/pkg/scheduler/framework"
)

// Name of the plugin in the registry.
const Name = "DefaultBinder"

// DefaultBinder binds pods to nodes using the framework's clientset.
type DefaultBinder struct {
	handle framework.Handle
}

var _ framework.BindPlugin = &DefaultBinder{}

// New is the registry factory of the plugin.
func New(h framework.Handle) (framework.Plugin, error) {
	return &DefaultBinder{handle: h}, nil
}

// Name returns the name of the plugin.
func (b DefaultBinder) Name() string {
	return Name
}

// Bind is the API write that ends most scheduler chains: create pods/binding.
func (b DefaultBinder) Bind(ctx context.Context, p *v1.Pod, nodeName string) error {
	binding := &v1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name, UID: p.UID},
		Target:     v1.ObjectReference{Kind: "Node", Name: nodeName},
	}
	return b.handle.ClientSet().CoreV1().Pods(binding.Namespace).Bind(ctx, binding, metav1.CreateOptions{})
}
