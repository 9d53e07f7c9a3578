// Package sources gets its informers three ways: from a struct field typed
// coreinformers.NodeInformer, from a local holding factory.Core().V1().Pods(),
// and from factory.InformerFor(&v1.Pod{}, newPodInformer) (pkg/scheduler/scheduler.go:416).
package sources

import (
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Controller watches nodes and pods.
type Controller struct {
	nodeInformer coreinformers.NodeInformer
	queue        workqueue.RateLimitingInterface
}

// newPodInformer builds a pod informer that skips finished pods.
func newPodInformer(cs clientset.Interface, resyncPeriod time.Duration) cache.SharedIndexInformer {
	selector := fmt.Sprintf("status.phase!=%v,status.phase!=%v", v1.PodSucceeded, v1.PodFailed)
	tweakListOptions := func(options *metav1.ListOptions) {
		options.FieldSelector = selector
	}
	return coreinformers.NewFilteredPodInformer(cs, metav1.NamespaceAll, resyncPeriod, cache.Indexers{}, tweakListOptions)
}

// NewController registers one handler on each informer.
func NewController(factory informers.SharedInformerFactory, nodeInformer coreinformers.NodeInformer) *Controller {
	c := &Controller{
		nodeInformer: nodeInformer,
		queue:        workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "sources"),
	}

	// (a) an informer held in a struct field.
	c.nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addNode,
	})

	// (b) an informer held in a local.
	podInformer := factory.Core().V1().Pods()
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: c.updatePod,
	})

	// (c) a custom informer registered in the factory for pods.
	factory.InformerFor(&v1.Pod{}, newPodInformer).AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: c.deletePod,
	})
	return c
}

func (c *Controller) addNode(obj interface{}) {
	c.queue.Add(obj.(*v1.Node).Name)
}

func (c *Controller) updatePod(oldObj, newObj interface{}) {
	pod := newObj.(*v1.Pod)
	c.queue.Add(pod.Spec.NodeName)
}

func (c *Controller) deletePod(obj interface{}) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		tombstone, ok := obj.(cache.DeletedFinalStateUnknown)
		if !ok {
			return
		}
		if pod, ok = tombstone.Obj.(*v1.Pod); !ok {
			return
		}
	}
	c.queue.Add(pod.Spec.NodeName)
}
