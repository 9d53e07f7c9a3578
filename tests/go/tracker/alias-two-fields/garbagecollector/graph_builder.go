package garbagecollector

import (
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

type eventType int

const (
	addEvent eventType = iota
	deleteEvent
)

var podGVK = schema.GroupVersionKind{Version: "v1", Kind: "Pod"}

type event struct {
	eventType eventType
	obj       interface{}
	gvk       schema.GroupVersionKind
}

type objectReference struct {
	metav1.OwnerReference
	Namespace string
}

type node struct {
	identity objectReference
	owners   []metav1.OwnerReference
}

// GraphBuilder processes informer events into graphChanges and hands nodes to the
// GarbageCollector through attemptToDelete, the SAME queue object the GC holds.
type GraphBuilder struct {
	eventRecorder record.EventRecorder
	// monitors are the producer of the graphChanges queue, graphBuilder alters
	// the in-memory graph according to the changes.
	graphChanges workqueue.RateLimitingInterface
	// GraphBuilder is the producer of attemptToDelete, GC is the consumer.
	attemptToDelete workqueue.RateLimitingInterface
}

// monitorPods mirrors controllerFor (graph_builder.go): the handlers are literals that build
// an event and add it to graphChanges.
func (gb *GraphBuilder) monitorPods(podInformer coreinformers.PodInformer) {
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			event := &event{
				eventType: addEvent,
				obj:       obj,
				gvk:       podGVK,
			}
			gb.graphChanges.Add(event)
		},
		DeleteFunc: func(obj interface{}) {
			if deletedFinalStateUnknown, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = deletedFinalStateUnknown.Obj
			}
			event := &event{
				eventType: deleteEvent,
				obj:       obj,
				gvk:       podGVK,
			}
			gb.graphChanges.Add(event)
		},
	})
}

func (gb *GraphBuilder) runProcessGraphChanges(logger klog.Logger) {
	for gb.processGraphChanges(logger) {
	}
}

// processGraphChanges dequeues an event from graphChanges and enqueues the node into
// attemptToDelete.
func (gb *GraphBuilder) processGraphChanges(logger klog.Logger) bool {
	item, quit := gb.graphChanges.Get()
	if quit {
		return false
	}
	defer gb.graphChanges.Done(item)
	event, ok := item.(*event)
	if !ok {
		utilruntime.HandleError(fmt.Errorf("expect a *event, got %v", item))
		return true
	}
	accessor, err := meta.Accessor(event.obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("cannot access obj: %v", err))
		return true
	}
	n := &node{
		identity: objectReference{
			OwnerReference: metav1.OwnerReference{
				APIVersion: event.gvk.GroupVersion().String(),
				Kind:       event.gvk.Kind,
				UID:        accessor.GetUID(),
				Name:       accessor.GetName(),
			},
			Namespace: accessor.GetNamespace(),
		},
		owners: accessor.GetOwnerReferences(),
	}
	for _, owner := range n.owners {
		if owner.Kind == "" {
			ref := &v1.ObjectReference{
				Kind:       n.identity.Kind,
				APIVersion: n.identity.APIVersion,
				Namespace:  n.identity.Namespace,
				Name:       n.identity.Name,
				UID:        n.identity.UID,
			}
			gb.eventRecorder.Eventf(ref, v1.EventTypeWarning, "OwnerRefInvalidKind", "ownerRef %s has an empty kind", owner.Name)
		}
	}
	if len(n.owners) > 0 || event.eventType == deleteEvent {
		logger.V(5).Info("adding node to attemptToDelete", "name", n.identity.Name)
		gb.attemptToDelete.Add(n)
	}
	return true
}
