// Package dswatch builds its own shared informers with
// cache.NewSharedIndexInformer (client-go tools/cache/shared_informer.go:249):
// one kept in a local, one kept in a struct field typed cache.SharedIndexInformer
// and registered from another method.
package dswatch

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Controller watches DaemonSets and nodes.
type Controller struct {
	client       kubernetes.Interface
	dsInformer   cache.SharedIndexInformer
	nodeInformer cache.SharedIndexInformer
	queue        workqueue.RateLimitingInterface
}

// NewController builds the informers and registers the handlers.
func NewController(client kubernetes.Interface, resync time.Duration) *Controller {
	c := &Controller{
		client: client,
		queue:  workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "dswatch"),
	}

	lw := cache.NewListWatchFromClient(client.AppsV1().RESTClient(), "daemonsets", metav1.NamespaceAll, fields.Everything())
	informer := cache.NewSharedIndexInformer(lw, &appsv1.DaemonSet{}, 0, cache.Indexers{})
	informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.addDaemonSet,
		UpdateFunc: c.updateDaemonSet,
		DeleteFunc: c.deleteDaemonSet,
	})
	c.dsInformer = informer

	c.nodeInformer = cache.NewSharedIndexInformer(
		cache.NewListWatchFromClient(client.CoreV1().RESTClient(), "nodes", metav1.NamespaceAll, fields.Everything()),
		&v1.Node{},
		resync,
		cache.Indexers{},
	)
	c.registerNodeHandlers()
	return c
}

// registerNodeHandlers registers on the informer held in c.nodeInformer.
func (c *Controller) registerNodeHandlers() {
	c.nodeInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.addNode,
		UpdateFunc: c.updateNode,
	})
}

func (c *Controller) enqueue(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.queue.Add(key)
}

func (c *Controller) addDaemonSet(obj interface{}) {
	c.enqueue(obj)
}

func (c *Controller) updateDaemonSet(oldObj, newObj interface{}) {
	c.enqueue(newObj)
}

func (c *Controller) deleteDaemonSet(obj interface{}) {
	c.enqueue(obj)
}

// enqueueAllDaemonSets requeues every DaemonSet: a node change may change where they run.
func (c *Controller) enqueueAllDaemonSets() {
	for _, obj := range c.dsInformer.GetStore().List() {
		c.enqueue(obj)
	}
}

func (c *Controller) addNode(obj interface{}) {
	c.enqueueAllDaemonSets()
}

func (c *Controller) updateNode(oldObj, newObj interface{}) {
	c.enqueueAllDaemonSets()
}
