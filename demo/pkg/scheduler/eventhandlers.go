package scheduler

import (
	"fmt"

	v1 "k8s.io/api/core/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"example.com/kubedemo/pkg/scheduler/framework"
)

// addAllEventHandlers registers the scheduler's handlers (k8s: eventhandlers.go).
//
// Two FilteringResourceEventHandlers share the pods informer. When an update
// makes a pod pass or stop passing a filter, client-go calls the inner OnAdd or
// OnDelete: a pods *update* also runs addPodToCache, deletePodFromCache,
// addPodToSchedulingQueue and deletePodFromSchedulingQueue.
func addAllEventHandlers(sched *Scheduler, informerFactory informers.SharedInformerFactory) error {
	// Assigned pods go to the cache.
	if _, err := informerFactory.Core().V1().Pods().Informer().AddEventHandler(
		cache.FilteringResourceEventHandler{
			FilterFunc: func(obj interface{}) bool {
				switch t := obj.(type) {
				case *v1.Pod:
					return assignedPod(t)
				case cache.DeletedFinalStateUnknown:
					_, ok := t.Obj.(*v1.Pod)
					return ok
				default:
					return false
				}
			},
			Handler: cache.ResourceEventHandlerFuncs{
				AddFunc:    sched.addPodToCache,
				UpdateFunc: sched.updatePodInCache,
				DeleteFunc: sched.deletePodFromCache,
			},
		},
	); err != nil {
		return err
	}

	// Unassigned pods that this scheduler is responsible for go to the queue.
	if _, err := informerFactory.Core().V1().Pods().Informer().AddEventHandler(
		cache.FilteringResourceEventHandler{
			FilterFunc: func(obj interface{}) bool {
				switch t := obj.(type) {
				case *v1.Pod:
					return !assignedPod(t) && responsibleForPod(t, sched.Profiles)
				case cache.DeletedFinalStateUnknown:
					if pod, ok := t.Obj.(*v1.Pod); ok {
						return responsibleForPod(pod, sched.Profiles)
					}
					return false
				default:
					return false
				}
			},
			Handler: cache.ResourceEventHandlerFuncs{
				AddFunc:    sched.addPodToSchedulingQueue,
				UpdateFunc: sched.updatePodInSchedulingQueue,
				DeleteFunc: sched.deletePodFromSchedulingQueue,
			},
		},
	); err != nil {
		return err
	}

	// Nodes go to the cache.
	if _, err := informerFactory.Core().V1().Nodes().Informer().AddEventHandler(
		cache.ResourceEventHandlerFuncs{
			AddFunc:    sched.addNodeToCache,
			UpdateFunc: sched.updateNodeInCache,
			DeleteFunc: sched.deleteNodeFromCache,
		},
	); err != nil {
		return err
	}
	return nil
}

// assignedPod selects pods that are already bound to a node.
func assignedPod(pod *v1.Pod) bool {
	return len(pod.Spec.NodeName) != 0
}

// responsibleForPod is true if the pod asks for one of this scheduler's profiles.
func responsibleForPod(pod *v1.Pod, profiles map[string]*framework.Framework) bool {
	_, ok := profiles[pod.Spec.SchedulerName]
	return ok
}

func podFromObj(obj interface{}) (*v1.Pod, bool) {
	switch t := obj.(type) {
	case *v1.Pod:
		return t, true
	case cache.DeletedFinalStateUnknown:
		pod, ok := t.Obj.(*v1.Pod)
		return pod, ok
	default:
		return nil, false
	}
}

// ---- queue handlers: they write sched.SchedulingQueue ----

func (sched *Scheduler) addPodToSchedulingQueue(obj interface{}) {
	pod := obj.(*v1.Pod)
	klog.V(3).InfoS("Add event for unscheduled pod", "pod", klog.KObj(pod))
	if err := sched.SchedulingQueue.Add(pod); err != nil {
		utilruntime.HandleError(fmt.Errorf("unable to queue %T: %v", obj, err))
	}
}

func (sched *Scheduler) updatePodInSchedulingQueue(oldObj, newObj interface{}) {
	oldPod, newPod := oldObj.(*v1.Pod), newObj.(*v1.Pod)
	// Bypass update events that carry identical objects (periodic resyncs).
	if oldPod.ResourceVersion == newPod.ResourceVersion {
		return
	}
	if err := sched.SchedulingQueue.Update(oldPod, newPod); err != nil {
		utilruntime.HandleError(fmt.Errorf("unable to update %T: %v", newObj, err))
	}
}

func (sched *Scheduler) deletePodFromSchedulingQueue(obj interface{}) {
	pod, ok := podFromObj(obj)
	if !ok {
		utilruntime.HandleError(fmt.Errorf("unable to handle object %T", obj))
		return
	}
	if err := sched.SchedulingQueue.Delete(pod); err != nil {
		utilruntime.HandleError(fmt.Errorf("unable to dequeue %T: %v", obj, err))
	}
	// A pod that was nominated to a node leaves room there: retry the others.
	if pod.Status.NominatedNodeName != "" {
		sched.SchedulingQueue.MoveAllToActiveOrBackoffQueue("AssignedPodDelete")
	}
}

// ---- cache handlers: they write sched.Cache ----

func (sched *Scheduler) addPodToCache(obj interface{}) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		klog.ErrorS(nil, "Cannot convert to *v1.Pod", "obj", obj)
		return
	}
	if err := sched.Cache.AddPod(pod); err != nil {
		klog.ErrorS(err, "Scheduler cache AddPod failed", "pod", klog.KObj(pod))
	}
}

func (sched *Scheduler) updatePodInCache(oldObj, newObj interface{}) {
	oldPod, ok := oldObj.(*v1.Pod)
	if !ok {
		return
	}
	newPod, ok := newObj.(*v1.Pod)
	if !ok {
		return
	}
	if err := sched.Cache.UpdatePod(oldPod, newPod); err != nil {
		klog.ErrorS(err, "Scheduler cache UpdatePod failed", "pod", klog.KObj(oldPod))
	}
}

func (sched *Scheduler) deletePodFromCache(obj interface{}) {
	pod, ok := podFromObj(obj)
	if !ok {
		return
	}
	if err := sched.Cache.RemovePod(pod); err != nil {
		klog.ErrorS(err, "Scheduler cache RemovePod failed", "pod", klog.KObj(pod))
	}
}

func (sched *Scheduler) addNodeToCache(obj interface{}) {
	node, ok := obj.(*v1.Node)
	if !ok {
		klog.ErrorS(nil, "Cannot convert to *v1.Node", "obj", obj)
		return
	}
	sched.Cache.AddNode(node)
}

func (sched *Scheduler) updateNodeInCache(oldObj, newObj interface{}) {
	oldNode, ok := oldObj.(*v1.Node)
	if !ok {
		return
	}
	newNode, ok := newObj.(*v1.Node)
	if !ok {
		return
	}
	sched.Cache.UpdateNode(oldNode, newNode)
}

// deleteNodeFromCache only removes the node from the cache: no value of the
// event reaches an API call, but later scheduling attempts see one node less.
func (sched *Scheduler) deleteNodeFromCache(obj interface{}) {
	var node *v1.Node
	switch t := obj.(type) {
	case *v1.Node:
		node = t
	case cache.DeletedFinalStateUnknown:
		var ok bool
		node, ok = t.Obj.(*v1.Node)
		if !ok {
			return
		}
	default:
		return
	}
	if err := sched.Cache.RemoveNode(node); err != nil {
		klog.ErrorS(err, "Scheduler cache RemoveNode failed")
	}
}
