// Package rollout registers handlers with their own resync period on typed
// factory chains (AddEventHandlerWithResyncPeriod, as in
// pkg/controller/resourcequota/resource_quota_controller.go:122).
package rollout

import (
	"time"

	apps "k8s.io/api/apps/v1"
	"k8s.io/client-go/informers"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Controller watches Deployments and their ReplicaSets.
type Controller struct {
	dLister appslisters.DeploymentLister
	queue   workqueue.RateLimitingInterface
}

// NewController registers on the factory's shared informers.
func NewController(factory informers.SharedInformerFactory, resync time.Duration) *Controller {
	c := &Controller{
		queue: workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "rollout"),
	}

	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    c.addDeployment,
		UpdateFunc: c.updateDeployment,
		DeleteFunc: c.deleteDeployment,
	}
	factory.Apps().V1().Deployments().Informer().AddEventHandlerWithResyncPeriod(handler, resync)

	factory.Apps().V1().ReplicaSets().Informer().AddEventHandlerWithResyncPeriod(
		cache.ResourceEventHandlerFuncs{
			UpdateFunc: c.updateReplicaSet,
		},
		30*time.Second,
	)

	c.dLister = factory.Apps().V1().Deployments().Lister()
	return c
}

func (c *Controller) enqueue(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.queue.Add(key)
}

func (c *Controller) addDeployment(obj interface{}) {
	c.enqueue(obj)
}

func (c *Controller) updateDeployment(old, cur interface{}) {
	c.enqueue(cur)
}

func (c *Controller) deleteDeployment(obj interface{}) {
	c.enqueue(obj)
}

func (c *Controller) updateReplicaSet(old, cur interface{}) {
	rs := cur.(*apps.ReplicaSet)
	for _, ref := range rs.OwnerReferences {
		if ref.Kind == "Deployment" {
			c.queue.Add(rs.Namespace + "/" + ref.Name)
		}
	}
}
