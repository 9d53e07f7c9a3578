// Package resourcequota mimics pkg/controller/resourcequota (v1.28): the QuotaMonitor, a helper
// the quota controller builds and keeps in rq.quotaMonitor (resource_quota_controller.go:154),
// registers update/delete handlers for every quotable resource (resource_quota_monitor.go:127-160)
// and hands changes back to the controller through replenishmentFunc = rq.replenishQuota
// (rqc:160, rqm:358). Its chains belong to the quota controller (FORMAT.md: a helper held in a
// controller's field belongs to that controller).
package resourcequota

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// ReplenishmentFunc is called when an object that counts against quota changes.
type ReplenishmentFunc func(ctx context.Context, groupResource schema.GroupResource, namespace string)

type event struct {
	obj interface{}
	gvr schema.GroupVersionResource
}

// QuotaMonitor watches the quotable resources.
type QuotaMonitor struct {
	informerFactory   informers.SharedInformerFactory
	resourceChanges   workqueue.RateLimitingInterface
	replenishmentFunc ReplenishmentFunc
}

// NewMonitor builds the monitor.
func NewMonitor(informerFactory informers.SharedInformerFactory, replenishmentFunc ReplenishmentFunc) *QuotaMonitor {
	return &QuotaMonitor{
		informerFactory:   informerFactory,
		resourceChanges:   workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "resource_quota_controller_resource_changes"),
		replenishmentFunc: replenishmentFunc,
	}
}

func (qm *QuotaMonitor) controllerFor(resource schema.GroupVersionResource) (cache.Controller, error) {
	handlers := cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(oldObj, newObj interface{}) {
			qm.resourceChanges.Add(&event{obj: newObj, gvr: resource})
		},
		DeleteFunc: func(obj interface{}) {
			if deletedFinalStateUnknown, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = deletedFinalStateUnknown.Obj
			}
			qm.resourceChanges.Add(&event{obj: obj, gvr: resource})
		},
	}
	shared, err := qm.informerFactory.ForResource(resource)
	if err != nil {
		return nil, fmt.Errorf("unable to monitor quota for resource %q", resource.String())
	}
	shared.Informer().AddEventHandlerWithResyncPeriod(handlers, time.Minute)
	return shared.Informer().GetController(), nil
}

// SyncMonitors starts monitoring the resources discovery found.
func (qm *QuotaMonitor) SyncMonitors(resources map[schema.GroupVersionResource]struct{}) error {
	for resource := range resources {
		if _, err := qm.controllerFor(resource); err != nil {
			return err
		}
	}
	return nil
}

// Run processes the resource changes.
func (qm *QuotaMonitor) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, qm.runProcessResourceChanges, time.Second)
	<-ctx.Done()
}

func (qm *QuotaMonitor) runProcessResourceChanges(ctx context.Context) {
	for qm.processResourceChanges(ctx) {
	}
}

func (qm *QuotaMonitor) processResourceChanges(ctx context.Context) bool {
	item, quit := qm.resourceChanges.Get()
	if quit {
		return false
	}
	defer qm.resourceChanges.Done(item)
	event, ok := item.(*event)
	if !ok {
		utilruntime.HandleError(fmt.Errorf("expect a *event, got %v", item))
		return true
	}
	accessor, err := meta.Accessor(event.obj)
	if err != nil {
		return true
	}
	qm.replenishmentFunc(ctx, event.gvr.GroupResource(), accessor.GetNamespace())
	return true
}
