// Package runtime mimics pkg/scheduler/framework/runtime (framework.go, registry.go): plugins
// are built from registry factories in a loop and type-asserted into per-extension-point slices.
package runtime

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	clientset "k8s.io/client-go/kubernetes"

	"example.com/framework-plugins/scheduler/framework"
)

// PluginFactory is a function that builds a plugin.
type PluginFactory = func(configuration runtime.Object, f framework.Handle) (framework.Plugin, error)

// Registry is a collection of all available plugins.
type Registry map[string]PluginFactory

type frameworkImpl struct {
	clientSet         clientset.Interface
	informerFactory   informers.SharedInformerFactory
	postFilterPlugins []framework.PostFilterPlugin
	bindPlugins       []framework.BindPlugin
}

var _ framework.Framework = &frameworkImpl{}

// NewFramework initializes the enabled plugins from the registry.
func NewFramework(ctx context.Context, r Registry, enabled []string, clientSet clientset.Interface, informerFactory informers.SharedInformerFactory) (framework.Framework, error) {
	f := &frameworkImpl{clientSet: clientSet, informerFactory: informerFactory}
	pluginsMap := make(map[string]framework.Plugin)
	for _, name := range enabled {
		factory, ok := r[name]
		if !ok {
			return nil, fmt.Errorf("%q does not exist", name)
		}
		p, err := factory(nil, f)
		if err != nil {
			return nil, fmt.Errorf("initializing plugin %q: %w", name, err)
		}
		pluginsMap[name] = p
	}
	for _, name := range enabled {
		p := pluginsMap[name]
		if pf, ok := p.(framework.PostFilterPlugin); ok {
			f.postFilterPlugins = append(f.postFilterPlugins, pf)
		}
		if bp, ok := p.(framework.BindPlugin); ok {
			f.bindPlugins = append(f.bindPlugins, bp)
		}
	}
	return f, nil
}

func (f *frameworkImpl) ClientSet() clientset.Interface {
	return f.clientSet
}

func (f *frameworkImpl) SharedInformerFactory() informers.SharedInformerFactory {
	return f.informerFactory
}

// RunPostFilterPlugins runs the PostFilter plugins until one succeeds.
func (f *frameworkImpl) RunPostFilterPlugins(ctx context.Context, pod *v1.Pod) (string, error) {
	for _, pl := range f.postFilterPlugins {
		nominatedNode, err := pl.PostFilter(ctx, pod)
		if err == nil {
			return nominatedNode, nil
		}
	}
	return "", fmt.Errorf("no PostFilter plugin made pod %s/%s schedulable", pod.Namespace, pod.Name)
}

// RunBindPlugins runs the Bind plugins.
func (f *frameworkImpl) RunBindPlugins(ctx context.Context, pod *v1.Pod, nodeName string) error {
	for _, pl := range f.bindPlugins {
		if err := f.runBindPlugin(ctx, pl, pod, nodeName); err != nil {
			return err
		}
	}
	return nil
}

func (f *frameworkImpl) runBindPlugin(ctx context.Context, bp framework.BindPlugin, pod *v1.Pod, nodeName string) error {
	return bp.Bind(ctx, pod, nodeName)
}
