// Package endpointslice builds its handlers in variables before registering
// them: a composite literal in a local, a zero value filled field by field,
// and an interface-typed variable.
package endpointslice

import (
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	discoveryinformers "k8s.io/client-go/informers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Controller watches services, endpoint slices and nodes.
type Controller struct {
	serviceQueue workqueue.RateLimitingInterface
	nodes        map[string]*v1.Node
}

// NewController registers the handlers.
func NewController(serviceInformer coreinformers.ServiceInformer, endpointSliceInformer discoveryinformers.EndpointSliceInformer, nodeInformer coreinformers.NodeInformer) *Controller {
	c := &Controller{
		serviceQueue: workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "endpoint_slice"),
		nodes:        map[string]*v1.Node{},
	}

	handlers := cache.ResourceEventHandlerFuncs{
		AddFunc:    c.onServiceUpdate,
		UpdateFunc: c.onServiceChange,
		DeleteFunc: c.onServiceDelete,
	}
	serviceInformer.Informer().AddEventHandler(handlers)

	// Field by field: add and delete only.
	h := cache.ResourceEventHandlerFuncs{}
	h.AddFunc = c.onEndpointSliceAdd
	h.DeleteFunc = c.onEndpointSliceDelete
	endpointSliceInformer.Informer().AddEventHandler(h)

	var nodeHandler cache.ResourceEventHandler = cache.ResourceEventHandlerFuncs{
		UpdateFunc: c.updateNode,
	}
	nodeInformer.Informer().AddEventHandler(nodeHandler)
	return c
}

func (c *Controller) onServiceUpdate(obj interface{}) {
	key, err := cache.MetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.serviceQueue.Add(key)
}

func (c *Controller) onServiceChange(oldObj, newObj interface{}) {
	c.onServiceUpdate(newObj)
}

func (c *Controller) onServiceDelete(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.serviceQueue.Add(key)
}

func (c *Controller) queueServiceForEndpointSlice(slice *discovery.EndpointSlice) {
	serviceName, ok := slice.Labels[discovery.LabelServiceName]
	if !ok {
		return
	}
	c.serviceQueue.Add(slice.Namespace + "/" + serviceName)
}

func (c *Controller) onEndpointSliceAdd(obj interface{}) {
	c.queueServiceForEndpointSlice(obj.(*discovery.EndpointSlice))
}

func (c *Controller) onEndpointSliceDelete(obj interface{}) {
	slice, ok := obj.(*discovery.EndpointSlice)
	if !ok {
		tombstone, ok := obj.(cache.DeletedFinalStateUnknown)
		if !ok {
			return
		}
		if slice, ok = tombstone.Obj.(*discovery.EndpointSlice); !ok {
			return
		}
	}
	c.queueServiceForEndpointSlice(slice)
}

func (c *Controller) updateNode(oldObj, newObj interface{}) {
	node := newObj.(*v1.Node)
	c.nodes[node.Name] = node
}
