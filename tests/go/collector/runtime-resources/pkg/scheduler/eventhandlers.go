// Package scheduler registers handlers whose resources and events are decided
// at run time, exactly as pkg/scheduler/eventhandlers.go:367-480 does: a
// handler factory literal (buildEvtResHandler) fills AddFunc/UpdateFunc/DeleteFunc
// only when a bit is set, and the registrations sit in a switch inside a range
// over a map.
package scheduler

import (
	"fmt"

	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// GVK names a watched resource.
type GVK string

// ActionType is a bit set of event kinds.
type ActionType int64

// The event kinds.
const (
	Add ActionType = 1 << iota
	Delete
	Update
	All ActionType = 1<<iota - 1
)

// The resources the scheduler may watch.
const (
	Pod                   GVK = "Pod"
	Node                  GVK = "Node"
	CSINode               GVK = "storage.k8s.io/CSINode"
	PersistentVolume      GVK = "PersistentVolume"
	PersistentVolumeClaim GVK = "PersistentVolumeClaim"
	StorageClass          GVK = "storage.k8s.io/StorageClass"
)

// ClusterEvent is what moved pods back to the active queue.
type ClusterEvent struct {
	Resource   GVK
	ActionType ActionType
	Label      string
}

// StorageClassUpdate is the event of a storage class update.
var StorageClassUpdate = ClusterEvent{Resource: StorageClass, ActionType: Update, Label: "StorageClassUpdate"}

// SchedulingQueue is the queue the handlers write.
type SchedulingQueue interface {
	MoveAllToActiveOrBackoffQueue(event ClusterEvent, oldObj, newObj interface{})
}

// Scheduler owns the registrations.
type Scheduler struct {
	SchedulingQueue SchedulingQueue
}

// New registers handlers for the resources in gvkMap.
func New(queue SchedulingQueue, informerFactory informers.SharedInformerFactory, gvkMap map[GVK]ActionType) (*Scheduler, error) {
	sched := &Scheduler{SchedulingQueue: queue}
	if err := addAllEventHandlers(sched, informerFactory, gvkMap); err != nil {
		return nil, err
	}
	return sched, nil
}

func (sched *Scheduler) onStorageClassAdd(obj interface{}) {
	sc := obj.(*storagev1.StorageClass)
	if sc.VolumeBindingMode != nil && *sc.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer {
		sched.SchedulingQueue.MoveAllToActiveOrBackoffQueue(ClusterEvent{Resource: StorageClass, ActionType: Add, Label: "StorageClassAdd"}, nil, sc)
	}
}

func addAllEventHandlers(sched *Scheduler, informerFactory informers.SharedInformerFactory, gvkMap map[GVK]ActionType) error {
	// func1; its literals are func1.1 (add), func1.2 (update), func1.3 (delete).
	buildEvtResHandler := func(at ActionType, gvk GVK, shortGVK string) cache.ResourceEventHandlerFuncs {
		funcs := cache.ResourceEventHandlerFuncs{}
		if at&Add != 0 {
			evt := ClusterEvent{Resource: gvk, ActionType: Add, Label: fmt.Sprintf("%vAdd", shortGVK)}
			funcs.AddFunc = func(obj interface{}) {
				sched.SchedulingQueue.MoveAllToActiveOrBackoffQueue(evt, nil, obj)
			}
		}
		if at&Update != 0 {
			evt := ClusterEvent{Resource: gvk, ActionType: Update, Label: fmt.Sprintf("%vUpdate", shortGVK)}
			funcs.UpdateFunc = func(old, obj interface{}) {
				sched.SchedulingQueue.MoveAllToActiveOrBackoffQueue(evt, old, obj)
			}
		}
		if at&Delete != 0 {
			evt := ClusterEvent{Resource: gvk, ActionType: Delete, Label: fmt.Sprintf("%vDelete", shortGVK)}
			funcs.DeleteFunc = func(obj interface{}) {
				sched.SchedulingQueue.MoveAllToActiveOrBackoffQueue(evt, obj, nil)
			}
		}
		return funcs
	}

	for gvk, at := range gvkMap {
		switch gvk {
		case Node, Pod:
			// Do nothing.
		case CSINode:
			if _, err := informerFactory.Storage().V1().CSINodes().Informer().AddEventHandler(
				buildEvtResHandler(at, CSINode, "CSINode"),
			); err != nil {
				return err
			}
		case PersistentVolume:
			if _, err := informerFactory.Core().V1().PersistentVolumes().Informer().AddEventHandler(
				buildEvtResHandler(at, PersistentVolume, "Pv"),
			); err != nil {
				return err
			}
		case PersistentVolumeClaim:
			if _, err := informerFactory.Core().V1().PersistentVolumeClaims().Informer().AddEventHandler(
				buildEvtResHandler(at, PersistentVolumeClaim, "Pvc"),
			); err != nil {
				return err
			}
		case StorageClass:
			if at&Add != 0 {
				if _, err := informerFactory.Storage().V1().StorageClasses().Informer().AddEventHandler(
					cache.ResourceEventHandlerFuncs{
						AddFunc: sched.onStorageClassAdd,
					},
				); err != nil {
					return err
				}
			}
			if at&Update != 0 {
				// func2
				if _, err := informerFactory.Storage().V1().StorageClasses().Informer().AddEventHandler(
					cache.ResourceEventHandlerFuncs{
						UpdateFunc: func(old, obj interface{}) {
							sched.SchedulingQueue.MoveAllToActiveOrBackoffQueue(StorageClassUpdate, old, obj)
						},
					},
				); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
