// Package nodelifecycle hands every pod event to another controller object held in a field
// (node_lifecycle_controller.go:351-390, v1.28: nc.taintManager.PodUpdated), here through an
// interface the controller manager wires to the taint manager.
package nodelifecycle

import (
	"context"

	v1 "k8s.io/api/core/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// PodUpdateHandler receives pod changes.
type PodUpdateHandler interface {
	PodUpdated(oldPod *v1.Pod, newPod *v1.Pod)
}

// Controller is the node lifecycle controller.
type Controller struct {
	taintManager PodUpdateHandler
}

// NewNodeLifecycleController registers the pod handlers.
func NewNodeLifecycleController(podInformer coreinformers.PodInformer, taintManager PodUpdateHandler) (*Controller, error) {
	nc := &Controller{taintManager: taintManager}
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			pod := obj.(*v1.Pod)
			nc.taintManager.PodUpdated(nil, pod)
		},
		DeleteFunc: func(obj interface{}) {
			pod, ok := obj.(*v1.Pod)
			if !ok {
				return
			}
			nc.taintManager.PodUpdated(pod, nil)
		},
	})
	return nc, nil
}

// Run waits; the taint manager runs on its own.
func (nc *Controller) Run(ctx context.Context) {
	<-ctx.Done()
}
