package framework

import (
	"context"
	"sort"

	v1 "k8s.io/api/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"
)

// Framework runs the plugins of one scheduling profile and implements Handle.
type Framework struct {
	bindPlugins []BindPlugin
	clientSet   clientset.Interface
	recorder    events.EventRecorder
}

var _ Handle = &Framework{}

// NewFramework instantiates every plugin of the registry through its factory
// and keeps the ones that can bind.
func NewFramework(r Registry, cs clientset.Interface, recorder events.EventRecorder) (*Framework, error) {
	f := &Framework{clientSet: cs, recorder: recorder}
	names := make([]string, 0, len(r))
	for name := range r {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		factory := r[name]
		p, err := factory(f)
		if err != nil {
			return nil, err
		}
		if bp, ok := p.(BindPlugin); ok {
			f.bindPlugins = append(f.bindPlugins, bp)
		}
	}
	return f, nil
}

// RunBindPlugins calls the bind plugins in order until one binds the pod.
func (f *Framework) RunBindPlugins(ctx context.Context, pod *v1.Pod, nodeName string) error {
	var err error
	for _, bp := range f.bindPlugins {
		if err = bp.Bind(ctx, pod, nodeName); err == nil {
			return nil
		}
	}
	return err
}

// ClientSet returns the clientset the plugins write with.
func (f *Framework) ClientSet() clientset.Interface {
	return f.clientSet
}

// EventRecorder returns the events.k8s.io recorder of this profile.
func (f *Framework) EventRecorder() events.EventRecorder {
	return f.recorder
}
