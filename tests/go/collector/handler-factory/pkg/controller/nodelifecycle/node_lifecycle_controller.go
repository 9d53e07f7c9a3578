// Package nodelifecycle registers handlers built by factories: helper
// functions that wrap a callback (node_lifecycle_controller.go:422-450) and a
// method that returns cache.ResourceEventHandlerFuncs.
package nodelifecycle

import (
	"context"
	"sync"

	v1 "k8s.io/api/core/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	controllerutil "example.com/handler-factory/pkg/controller/util/node"
)

// Controller watches nodes and pods.
type Controller struct {
	kubeClient      clientset.Interface
	knownNodes      map[string]*v1.Node
	nodeUpdateQueue workqueue.Interface
	podUpdateQueue  workqueue.RateLimitingInterface
	nodesToRetry    sync.Map
}

// NewNodeLifecycleController registers the handlers.
func NewNodeLifecycleController(ctx context.Context, podInformer coreinformers.PodInformer, nodeInformer coreinformers.NodeInformer, kubeClient clientset.Interface) (*Controller, error) {
	logger := klog.FromContext(ctx)
	nc := &Controller{
		kubeClient:      kubeClient,
		knownNodes:      map[string]*v1.Node{},
		nodeUpdateQueue: workqueue.NewNamed("node_lifecycle_controller"),
		podUpdateQueue:  workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "node_lifecycle_controller_pods"),
	}

	// A method builds the handlers.
	podInformer.Informer().AddEventHandler(nc.podEventHandlers(logger))

	// Factories wrapping method values: the handler is the method the factory's
	// literal calls back.
	nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    controllerutil.CreateAddNodeHandler(nc.onNodeAdd),
		UpdateFunc: controllerutil.CreateUpdateNodeHandler(nc.onNodeUpdate),
		DeleteFunc: controllerutil.CreateDeleteNodeHandler(logger, nc.onNodeDelete),
	})

	// Factories wrapping literals that do the work (func1, func2, func3).
	nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: controllerutil.CreateAddNodeHandler(func(node *v1.Node) error {
			nc.nodeUpdateQueue.Add(node.Name)
			return nil
		}),
		UpdateFunc: controllerutil.CreateUpdateNodeHandler(func(_, newNode *v1.Node) error {
			nc.nodeUpdateQueue.Add(newNode.Name)
			return nil
		}),
		DeleteFunc: controllerutil.CreateDeleteNodeHandler(logger, func(node *v1.Node) error {
			nc.nodesToRetry.Delete(node.Name)
			return nil
		}),
	})
	return nc, nil
}

// podEventHandlers returns the pod handlers: two method values and a literal
// that only forwards (func1 of podEventHandlers).
func (nc *Controller) podEventHandlers(logger klog.Logger) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    nc.onPodAdd,
		UpdateFunc: nc.onPodUpdate,
		DeleteFunc: func(obj interface{}) {
			nc.onPodDelete(logger, obj)
		},
	}
}

func (nc *Controller) onNodeAdd(node *v1.Node) error {
	nc.knownNodes[node.Name] = node
	return nil
}

func (nc *Controller) onNodeUpdate(oldNode, newNode *v1.Node) error {
	nc.knownNodes[newNode.Name] = newNode
	return nil
}

func (nc *Controller) onNodeDelete(node *v1.Node) error {
	delete(nc.knownNodes, node.Name)
	return nil
}

func (nc *Controller) enqueuePod(pod *v1.Pod) {
	if pod.Spec.NodeName == "" {
		return
	}
	nc.podUpdateQueue.Add(pod.Namespace + "/" + pod.Name)
}

func (nc *Controller) onPodAdd(obj interface{}) {
	nc.enqueuePod(obj.(*v1.Pod))
}

func (nc *Controller) onPodUpdate(oldObj, newObj interface{}) {
	nc.enqueuePod(newObj.(*v1.Pod))
}

func (nc *Controller) onPodDelete(logger klog.Logger, obj interface{}) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		tombstone, ok := obj.(cache.DeletedFinalStateUnknown)
		if !ok {
			logger.Error(nil, "Received unexpected object", "object", obj)
			return
		}
		if pod, ok = tombstone.Obj.(*v1.Pod); !ok {
			return
		}
	}
	nc.enqueuePod(pod)
}
