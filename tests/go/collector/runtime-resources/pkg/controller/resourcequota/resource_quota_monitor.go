// Package resourcequota registers on informers for resources known only at run
// time (pkg/controller/resourcequota/resource_quota_monitor.go:126-160): the
// GroupVersionResource comes from a parameter, so the informer resource is "*".
package resourcequota

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

type eventType int

const (
	addEvent eventType = iota
	updateEvent
	deleteEvent
)

type event struct {
	eventType eventType
	obj       interface{}
	oldObj    interface{}
	gvr       schema.GroupVersionResource
}

// QuotaMonitor watches every quota-tracked resource.
type QuotaMonitor struct {
	informerFactory informers.SharedInformerFactory
	resourceChanges workqueue.RateLimitingInterface
}

// NewMonitor returns a monitor that watches nothing yet.
func NewMonitor(informerFactory informers.SharedInformerFactory) *QuotaMonitor {
	return &QuotaMonitor{
		informerFactory: informerFactory,
		resourceChanges: workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "resource_quota_controller_resource_changes"),
	}
}

// SyncMonitors registers a handler on the informer of each resource.
func (qm *QuotaMonitor) SyncMonitors(resources []schema.GroupVersionResource) error {
	var errs []error
	for _, resource := range resources {
		resource := resource
		informer, err := qm.informerFactory.ForResource(resource)
		if err != nil {
			errs = append(errs, fmt.Errorf("couldn't start monitor for resource %q: %v", resource, err))
			continue
		}
		// func1, func2, func3 do the work themselves.
		informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: func(obj interface{}) {
				qm.resourceChanges.Add(&event{eventType: addEvent, obj: obj, gvr: resource})
			},
			UpdateFunc: func(oldObj, newObj interface{}) {
				qm.resourceChanges.Add(&event{eventType: updateEvent, obj: newObj, oldObj: oldObj, gvr: resource})
			},
			DeleteFunc: func(obj interface{}) {
				if deletedFinalStateUnknown, ok := obj.(cache.DeletedFinalStateUnknown); ok {
					obj = deletedFinalStateUnknown.Obj
				}
				qm.resourceChanges.Add(&event{eventType: deleteEvent, obj: obj, gvr: resource})
			},
		})
	}
	return utilerrors.NewAggregate(errs)
}
