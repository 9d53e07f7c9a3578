package controller

import (
	"context"
	"sync"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientset "k8s.io/client-go/kubernetes"
)

// FakePodControl is a test double kept in a non-test file (like pkg/controller/testutil).
// Its DeletePod calls a DIFFERENT API so that a wrong interface dispatch is visible.
// No constructor of the replicaset controller ever wires it in.
type FakePodControl struct {
	sync.Mutex
	client        clientset.Interface
	Templates     []v1.PodTemplateSpec
	DeletePodName []string
}

var _ PodControlInterface = &FakePodControl{}

func NewFakePodControl(client clientset.Interface) *FakePodControl {
	return &FakePodControl{client: client}
}

func (f *FakePodControl) CreatePods(ctx context.Context, namespace string, template *v1.PodTemplateSpec, object runtime.Object, controllerRef *metav1.OwnerReference) error {
	f.Lock()
	defer f.Unlock()
	f.Templates = append(f.Templates, *template)
	return nil
}

func (f *FakePodControl) DeletePod(ctx context.Context, namespace string, podID string, object runtime.Object) error {
	f.Lock()
	defer f.Unlock()
	f.DeletePodName = append(f.DeletePodName, podID)
	return f.client.CoreV1().ConfigMaps(namespace).Delete(ctx, podID, metav1.DeleteOptions{})
}
