// Package podnodewatch passes named types that implement the
// cache.ResourceEventHandler interface (OnAdd/OnUpdate/OnDelete, client-go
// tools/cache/controller.go:225) to AddEventHandler: the controller itself,
// and a small value-receiver adapter the constructor builds around it (like
// pkg/controller/replication/conversion.go's conversionEventHandler).
package podnodewatch

import (
	v1 "k8s.io/api/core/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Controller is its own pod handler.
type Controller struct {
	podQueue  workqueue.RateLimitingInterface
	nodeQueue workqueue.RateLimitingInterface
}

var _ cache.ResourceEventHandler = &Controller{}

// NewController registers the controller on the pod informer and a
// nodeEventHandler on the node informer.
func NewController(podInformer coreinformers.PodInformer, nodeInformer coreinformers.NodeInformer) *Controller {
	c := &Controller{
		podQueue:  workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "pods"),
		nodeQueue: workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "nodes"),
	}
	podInformer.Informer().AddEventHandler(c)
	nodeInformer.Informer().AddEventHandler(nodeEventHandler{c: c})
	return c
}

func (c *Controller) enqueuePod(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.podQueue.Add(key)
}

// OnAdd is called for every added pod.
func (c *Controller) OnAdd(obj interface{}, isInInitialList bool) {
	c.enqueuePod(obj)
}

// OnUpdate is called for every updated pod.
func (c *Controller) OnUpdate(oldObj, newObj interface{}) {
	oldPod := oldObj.(*v1.Pod)
	newPod := newObj.(*v1.Pod)
	if oldPod.ResourceVersion == newPod.ResourceVersion {
		return
	}
	c.enqueuePod(newObj)
}

// OnDelete is called for every deleted pod.
func (c *Controller) OnDelete(obj interface{}) {
	c.enqueuePod(obj)
}

// nodeEventHandler feeds node events to the controller's node queue.
type nodeEventHandler struct {
	c *Controller
}

var _ cache.ResourceEventHandler = nodeEventHandler{}

func (h nodeEventHandler) OnAdd(obj interface{}, isInInitialList bool) {
	h.c.nodeQueue.Add(obj.(*v1.Node).Name)
}

func (h nodeEventHandler) OnUpdate(oldObj, newObj interface{}) {
	h.c.nodeQueue.Add(newObj.(*v1.Node).Name)
}

func (h nodeEventHandler) OnDelete(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	h.c.nodeQueue.Add(key)
}
