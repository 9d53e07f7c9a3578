// Package tainteviction is a controller that other controllers hand pods to in-process, as
// the node lifecycle controller hands pods to the NoExecute taint manager
// (pkg/controller/nodelifecycle/scheduler/taint_manager.go:311-339, v1.28): PodUpdated enqueues
// into the taint manager's own queue, and only its own worker, started by the controller
// manager, reads it.
package tainteviction

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// NoExecuteTaintManager evicts pods from tainted nodes.
type NoExecuteTaintManager struct {
	client         clientset.Interface
	recorder       record.EventRecorder
	podLister      corelisters.PodLister
	podUpdateQueue workqueue.Interface
}

// New builds the taint manager.
func New(c clientset.Interface, podLister corelisters.PodLister, recorder record.EventRecorder) *NoExecuteTaintManager {
	return &NoExecuteTaintManager{
		client:         c,
		recorder:       recorder,
		podLister:      podLister,
		podUpdateQueue: workqueue.NewNamed("noexec_taint_pod"),
	}
}

// PodUpdated is how other controllers hand a pod over.
func (tc *NoExecuteTaintManager) PodUpdated(oldPod *v1.Pod, newPod *v1.Pod) {
	pod := newPod
	if pod == nil {
		pod = oldPod
	}
	tc.podUpdateQueue.Add(types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name})
}

// Run starts the worker.
func (tc *NoExecuteTaintManager) Run(ctx context.Context) {
	defer tc.podUpdateQueue.ShutDown()
	go wait.UntilWithContext(ctx, tc.worker, time.Second)
	<-ctx.Done()
}

func (tc *NoExecuteTaintManager) worker(ctx context.Context) {
	item, shutdown := tc.podUpdateQueue.Get()
	if shutdown {
		return
	}
	defer tc.podUpdateQueue.Done(item)
	tc.handlePodUpdate(ctx, item.(types.NamespacedName))
}

func (tc *NoExecuteTaintManager) handlePodUpdate(ctx context.Context, name types.NamespacedName) {
	pod, err := tc.podLister.Pods(name.Namespace).Get(name.Name)
	if err != nil {
		return
	}
	tc.recorder.Eventf(pod, v1.EventTypeNormal, "TaintManagerEviction", "Marking for deletion Pod %s", name.String())
	tc.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{})
}
