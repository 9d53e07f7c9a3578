// Package nodelifecycle mimics pkg/controller/nodelifecycle/node_lifecycle_controller.go:351-390
// (v1.28): the pod handlers hand every pod to the NoExecute taint manager, a helper struct held in
// the field nc.taintManager, by calling its method PodUpdated. The write is the helper's own queue
// (tc.podUpdateQueue), which only the helper's goroutine reads.
package nodelifecycle

import (
	"context"

	v1 "k8s.io/api/core/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"example.com/helper-field-depth/nodelifecycle/scheduler"
)

// Controller is the node lifecycle controller; the taint manager is a helper it owns.
type Controller struct {
	kubeClient   clientset.Interface
	podLister    corelisters.PodLister
	taintManager *scheduler.NoExecuteTaintManager
}

// NewNodeLifecycleController registers the pod handlers and builds the taint manager.
func NewNodeLifecycleController(ctx context.Context, podInformer coreinformers.PodInformer, kubeClient clientset.Interface) (*Controller, error) {
	logger := klog.FromContext(ctx)
	nc := &Controller{
		kubeClient: kubeClient,
	}
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			pod := obj.(*v1.Pod)
			if nc.taintManager != nil {
				nc.taintManager.PodUpdated(nil, pod)
			}
		},
		UpdateFunc: func(prev, obj interface{}) {
			prevPod := prev.(*v1.Pod)
			newPod := obj.(*v1.Pod)
			if nc.taintManager != nil {
				nc.taintManager.PodUpdated(prevPod, newPod)
			}
		},
		DeleteFunc: func(obj interface{}) {
			pod, isPod := obj.(*v1.Pod)
			if !isPod {
				deletedState, ok := obj.(cache.DeletedFinalStateUnknown)
				if !ok {
					logger.Error(nil, "Received unexpected object", "object", obj)
					return
				}
				pod, ok = deletedState.Obj.(*v1.Pod)
				if !ok {
					return
				}
			}
			if nc.taintManager != nil {
				nc.taintManager.PodUpdated(pod, nil)
			}
		},
	})
	nc.podLister = podInformer.Lister()
	nc.taintManager = scheduler.NewNoExecuteTaintManager(ctx, kubeClient, podInformer.Lister())
	return nc, nil
}

// Run starts the taint manager's own loop.
func (nc *Controller) Run(ctx context.Context) {
	go nc.taintManager.Run(ctx)
	<-ctx.Done()
}
