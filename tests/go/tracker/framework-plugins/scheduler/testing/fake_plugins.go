// Package testing mimics pkg/scheduler/testing: test-only plugins in non-test files. This
// one is never put in any registry, so it never runs in the scheduler.
package testing

import (
	"context"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientset "k8s.io/client-go/kubernetes"

	"example.com/framework-plugins/scheduler/framework"
)

const FakeNodeReaperName = "FakeNodeReaper"

// FakeNodeReaper is a BindPlugin that deletes the node instead of binding.
type FakeNodeReaper struct {
	client clientset.Interface
}

var _ framework.BindPlugin = &FakeNodeReaper{}

func NewFakeNodeReaper(_ runtime.Object, fh framework.Handle) (framework.Plugin, error) {
	return &FakeNodeReaper{client: fh.ClientSet()}, nil
}

func (pl *FakeNodeReaper) Name() string {
	return FakeNodeReaperName
}

func (pl *FakeNodeReaper) Bind(ctx context.Context, pod *v1.Pod, nodeName string) error {
	return pl.client.CoreV1().Nodes().Delete(ctx, nodeName, metav1.DeleteOptions{})
}
